// Runs a job for a wrangled dataset and waits until it is done, showing each status on the way.
//
//   tsx examples/node/run_job.ts 28629          (or AAC_DATASET_ID=28629 tsx examples/node/run_job.ts)
//
// AAC_JOB_TIMEOUT_MS bounds the wait (default 30 min), AAC_POLL_INTERVAL_MS sets the pace (default 5 s).
// Ctrl-C (or SIGTERM, SIGHUP) stops waiting; the job keeps running in Alteryx Cloud. Exit code 0 only if the job completed.
import { createClient, runJob } from '@aac/core'
import { loadConfig } from '@aac/core/fs'
import './proxy.ts' // HTTPS_PROXY and NO_PROXY, which Node's fetch ignores before Node 24
import { runMain } from '@aac/core/process'

await runMain(async ({ signal, logger }) => {
  const datasetId = Number(process.argv[2] ?? process.env.AAC_DATASET_ID)
  if (!Number.isInteger(datasetId))
    throw new Error('give a wrangled dataset id: run_job.ts <id>, or AAC_DATASET_ID')
  const { config, storage } = await loadConfig()
  const client = createClient({ config, storage, logger })
  const result = await runJob(
    client,
    { wrangledDatasetId: datasetId },
    {
      timeoutMs: Number(process.env.AAC_JOB_TIMEOUT_MS || 30 * 60_000),
      pollIntervalMs: Number(process.env.AAC_POLL_INTERVAL_MS || 5_000),
      signal,
      onProgress: ({ jobId, status, elapsedMs }) =>
        console.error(`job ${jobId}: ${status ?? 'started'} (${(elapsedMs / 1000).toFixed(1)} s)`),
    },
  )
  console.log(JSON.stringify({ jobId: result.jobId, status: result.status, polls: result.polls }))
})
