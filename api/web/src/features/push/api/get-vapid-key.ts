import { api, unwrap } from '../../../lib/api-client';

/** The server's VAPID public key: the `applicationServerKey` a browser subscribes with. */
export async function getVapidKey(): Promise<string> {
  return (await unwrap(api.GET('/api/push/vapid-public-key'))).public_key;
}
