// Imports a package the host does not install: the bundle gets the stub,
// which is fine as long as reconcile never calls it.
import * as Sentry from '@sentry/cloudflare';

export function report(err: unknown): void {
  Sentry.captureException(err);
}
