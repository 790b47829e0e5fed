import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface ConfigFiles {
  url: string
  projectId: string
  accessToken: string
  refreshToken: string
}

/** The three files a user keeps at the repo root, in the layout Alteryx's example repository ships. */
export async function writeConfigFiles(dir: string, files: ConfigFiles): Promise<void> {
  await mkdir(dir, { recursive: true })
  const creds = { access_token: files.accessToken, refresh_token: files.refreshToken }
  await writeFile(join(dir, 'aac_url.txt'), files.url + '\n')
  await writeFile(join(dir, 'client_id.txt'), files.projectId + '\n')
  await writeFile(join(dir, 'creds.json'), JSON.stringify(creds, null, 2) + '\n')
}
