// The ES module entry point: the same exports as the CommonJS index.js.
import binding from './index.js'

export const {
  Client,
  QubitError,
  errorCodes,
  version,
  COOKIE_NAME,
  contextIdFromCookieHeader,
  cookieDomainForHost,
  setCookieHeader,
  generateContextId,
  decodeCallbackUrl,
  setLogger,
  loggingStats,
} = binding

export default binding
