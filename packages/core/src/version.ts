/** This package's name, as it appears in the User-Agent. */
export const PACKAGE_NAME = '@aac/core'

/** This package's version, sent in the User-Agent. Kept equal to package.json's by a test. */
export const VERSION = '0.1.0'
