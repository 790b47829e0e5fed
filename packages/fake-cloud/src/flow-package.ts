/**
 * `GET /v4/flows/{id}/package`: a flow exported as a ZIP, the one binary answer of the fake. A real (stored,
 * uncompressed) ZIP that `unzip` opens, holding `flow.json` and `icon.bin`, whose bytes are not UTF-8 on purpose:
 * a client that reads the body as text corrupts it, and a byte-for-byte comparison shows it.
 */

import { crc32 } from 'node:zlib'

/** Bytes that no UTF-8 decoder keeps: `ff fe` and a lone continuation byte. */
const ICON = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28])

/** The package of flow `id`, the same bytes on every call. */
export function flowPackage(id: number): Buffer {
  const flow = Buffer.from(`${JSON.stringify({ id, name: `Fake flow ${id}`, description: null }, null, 2)}\n`)
  return zip([
    ['flow.json', flow],
    ['icon.bin', Buffer.from(ICON)],
  ])
}

/** A ZIP of stored entries: local headers and data, the central directory, its end record. */
function zip(entries: ReadonlyArray<readonly [string, Buffer]>): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const [name, data] of entries) {
    const fileName = Buffer.from(name)
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0) // local file header signature: 50 4b 03 04
    local.writeUInt16LE(20, 4) // version needed
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18) // compressed size (stored)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(fileName.length, 26)
    locals.push(local, fileName, data)

    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4) // version made by
    central.writeUInt16LE(20, 6) // version needed
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(fileName.length, 28)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, fileName)
    offset += local.length + fileName.length + data.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}
