/**
 * Redirect URIs of OAuth clients (RFC 6749 §3.1.2, RFC 8252, RFC 9700 §4.1):
 * which ones may be registered, and how a presented one is matched.
 */

export const REDIRECT_URI_MAX_LENGTH = 2000;

/** `http://127.0.0.1[:port]` or `http://[::1][:port]`, then the path (RFC 8252 §7.3). */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::\d{1,5})?(?=[/?]|$)/;
/** A private-use scheme is a reverse domain name (RFC 8252 §7.1): `com.example.app`. */
const REVERSE_DOMAIN_SCHEME = /^[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+$/;
/** Whitespace, control characters, backslashes: what parsers disagree about. */
const AMBIGUOUS = /[\s\p{Cc}\\]/u;

/**
 * Why `uri` cannot be registered as a redirect URI, or `null` if it can:
 * absolute; no fragment, wildcard or user info; `https`, loopback `http`
 * on 127.0.0.1 or [::1] (not `localhost`, which DNS may answer), or a
 * reverse-domain private-use scheme for native apps.
 */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length > REDIRECT_URI_MAX_LENGTH) return `longer than ${REDIRECT_URI_MAX_LENGTH}`;
  if (AMBIGUOUS.test(uri)) return 'contains whitespace, control characters or a backslash';
  if (uri.includes('#')) return 'has a fragment';
  if (uri.includes('*')) return 'has a wildcard';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URI';
  }
  if (url.username || url.password) return 'has user info';
  const scheme = url.protocol.slice(0, -1);
  if (!uri.startsWith(url.protocol)) return 'has an upper-case scheme';
  if (scheme === 'https') return uri.startsWith('https://') ? null : 'has no host';
  if (scheme === 'http') {
    return LOOPBACK.test(uri) ? null : 'uses http for a host other than 127.0.0.1 or [::1]';
  }
  return REVERSE_DOMAIN_SCHEME.test(scheme)
    ? null
    : 'uses a scheme that is neither https nor a reverse domain name (com.example.app)';
}

/**
 * Whether `presented` is one of the `registered` redirect URIs, compared as
 * exact strings (no normalisation, no prefix or wildcard matching). The one
 * exception is RFC 8252 §7.3: a loopback URI matches on any port, since a
 * native app listens on whatever port the system gives it.
 */
export function redirectUriMatches(registered: readonly string[], presented: string): boolean {
  if (registered.includes(presented)) return true;
  const portless = withoutLoopbackPort(presented);
  if (portless === null) return false;
  return registered.some((uri) => withoutLoopbackPort(uri) === portless);
}

/** A loopback `http` URI with its port removed; `null` for any other URI. */
function withoutLoopbackPort(uri: string): string | null {
  const match = LOOPBACK.exec(uri);
  return match ? `http://${match[1]}${uri.slice(match[0].length)}` : null;
}
