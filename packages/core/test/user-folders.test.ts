import { expect, it } from 'vitest'
import { CONFIG_FOLDER, STATE_FOLDER, userFolder } from '../src/internal/user-folders.ts'

it.each([
  ['config, XDG set', CONFIG_FOLDER, { HOME: '/home/me', XDG_CONFIG_HOME: '/cfg' }, 'linux', '/cfg/aac'],
  [
    'config, XDG relative (ignored)',
    CONFIG_FOLDER,
    { HOME: '/home/me', XDG_CONFIG_HOME: 'cfg' },
    'linux',
    '/home/me/.config/aac',
  ],
  ['config, default', CONFIG_FOLDER, { HOME: ' /home/me ' }, 'darwin', '/home/me/.config/aac'],
  ['state, XDG set', STATE_FOLDER, { HOME: '/home/me', XDG_STATE_HOME: '/st' }, 'linux', '/st/aac'],
  ['state, default', STATE_FOLDER, { HOME: '/home/me' }, 'linux', '/home/me/.local/state/aac'],
  [
    'config, Windows',
    CONFIG_FOLDER,
    { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' },
    'win32',
    'C:\\Users\\me\\AppData\\Roaming\\aac',
  ],
  [
    'state, Windows without LOCALAPPDATA',
    STATE_FOLDER,
    { USERPROFILE: 'C:\\Users\\me', HOME: '/ignored' },
    'win32',
    'C:\\Users\\me\\AppData\\Local\\aac',
  ],
] as const)('%s', (_name, kind, env, platform, expected) => {
  expect(userFolder(kind, env, platform)).toBe(expected)
})
