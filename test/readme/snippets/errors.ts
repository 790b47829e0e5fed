import { ApiError, createClient, isReauthRequired } from '@aac/core'
import { loadConfig } from '@aac/core/fs'

const { config, storage } = await loadConfig()
const client = createClient({ config, storage })
try {
  await client.get('/v4/flows/0')
} catch (error) {
  if (error instanceof ApiError && error.status === 404) console.log('no flow 0')
  else if (isReauthRequired(error)) console.log('generate a new token pair in the web app')
  else throw error // AacError: error.code says what, error.message what to do
}
