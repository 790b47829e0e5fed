// What a web app bundles: the main entry must pull in no Node built-in.
import { createClient, memoryStorage, webStorage } from '@aac/core'

export { createClient, memoryStorage, webStorage }
