// A checkout that does not bundle: it imports a file that does not exist.
import { missing } from './no-such-module';

export function reconcile(): unknown[] {
  return missing();
}
