/**
 * The token a room page enters with: a link's token (an invitation's guest token or an
 * access token), kept for this tab only and taken out of the address bar so that it is not
 * copied along with the link; without one, a room pass minted from the signed-in session.
 */

const tokenKey = (roomId: string) => `veche-room-token:${roomId}`;

/** The link's token, moved from the address into the tab's storage; or the stored one. */
export function linkToken(roomId: string): string | null {
  const params = new URLSearchParams(window.location.search);
  const fromLink = params.get('guest') || params.get('access_token');
  if (fromLink) {
    sessionStorage.setItem(tokenKey(roomId), fromLink);
    window.history.replaceState(null, '', window.location.pathname);
    return fromLink;
  }
  return sessionStorage.getItem(tokenKey(roomId));
}

/** A room pass for the signed-in person (an HttpOnly session cookie), or null. */
export async function passFromSession(roomId: string): Promise<string | null> {
  const session = await fetch('/api/session');
  if (!session.ok) return null;
  const { csrf_token: csrf } = (await session.json()) as { csrf_token?: string };
  const minted = await fetch(`/api/rooms/${roomId}/pass`, { method: 'POST', headers: { 'X-CSRF-Token': csrf ?? '' } });
  if (!minted.ok) return null;
  return ((await minted.json()) as { pass: string }).pass;
}
