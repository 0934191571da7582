// The Socket.io endpoint as the original plan's frontend uses it (socket.io-client 4):
// `join-room`, `offer` / `answer` / `ice-candidate` relayed to the others in the room with
// the sender's socket id, `user-connected` / `user-disconnected`, and the errors veche
// answers a message it refuses with.
//
//   node socketio-check.mjs <veche base URL> <transports> open <room id>
//   node socketio-check.mjs <veche base URL> <transports> rooms <room id> <Ann's token> <Bob's token> <Eve's token>
//
// <transports>: websocket, polling, or polling,websocket (the client's default: long-polling
// first, then the move to WebSocket, which every client here must have made).
//
// With BOB_BASE set, Bob (and the others but Ann) connect to that veche node instead: the
// events must cross between the nodes. JOIN_GAP_MS: how long after Ann Bob joins (300 ms).
//
// Prints PASSED, or FAILED with the reason.
import { io } from 'socket.io-client';

const [base, transport, mode, room, annToken, bobToken, eveToken] = process.argv.slice(2);
const elsewhere = process.env.BOB_BASE || base;
const transports = transport.split(',');
const WAIT_MS = 15_000;
const sockets = [];

function connect(token, url = elsewhere) {
  const socket = io(url, { transports, auth: token ? { token } : undefined, reconnection: false, forceNew: true });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.on('connect', () => {
      const engine = socket.io.engine;
      if (engine.transport.name === transports[transports.length - 1]) resolve(socket);
      else engine.once('upgrade', () => resolve(socket));
    });
    socket.on('connect_error', reject);
  });
}

/// The next `event` on `socket`, with its arguments.
function next(socket, event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${WAIT_MS} ms`)), WAIT_MS);
    socket.once(event, (...args) => { clearTimeout(timer); resolve(args); });
  });
}

/// Nothing of `event` on `socket` for a moment.
async function quiet(socket, event, ms = 700) {
  let heard = null;
  const listener = (...args) => { heard = args; };
  socket.on(event, listener);
  await new Promise((resolve) => setTimeout(resolve, ms));
  socket.off(event, listener);
  if (heard) throw new Error(`unexpected ${event}: ${JSON.stringify(heard)}`);
}

function same(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

async function errorFor(socket, send) {
  const answer = next(socket, 'error');
  send();
  return (await answer)[0].code;
}

async function main() {
  const [ann, bob] = await Promise.all([connect(annToken, base), connect(bobToken)]);
  same(await errorFor(ann, () => ann.emit('offer', { sdp: 'x' }, room)), 'not-joined', 'an offer before joining');
  same(await errorFor(ann, () => ann.emit('join-room', room)), 'malformed-message', 'a join without a user id');

  ann.emit('join-room', room, 'ann');
  const connected = next(ann, 'user-connected');
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.JOIN_GAP_MS || 300)));
  // Bob offers at once after his join, before the server has answered anything: the offer
  // waits for the join and follows it.
  const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
  const offered = next(ann, 'offer');
  bob.emit('join-room', room, 'bob');
  bob.emit('offer', offer, room);
  same(await connected, ['bob'], 'the others hear of a newcomer');
  same(await offered, [offer, bob.id], 'an offer reaches the room with the sender');
  const answer = { type: 'answer', sdp: 'v=0\r\n' };
  const answered = next(bob, 'answer');
  ann.emit('answer', answer, room);
  same(await answered, [answer, ann.id], 'an answer');
  const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
  const heard = next(bob, 'ice-candidate');
  ann.emit('ice-candidate', candidate, room);
  same(await heard, [candidate, ann.id], 'a candidate');
  await quiet(ann, 'ice-candidate', 300);
  same(await errorFor(bob, () => bob.emit('offer', offer, 'another-room')), 'not-in-room', 'an offer to a room not joined');
  same(await errorFor(bob, () => bob.emit('join-room', room, 'bob')), 'already-joined', 'a second join');

  if (mode === 'open') {
    // A stranger in another room hears nothing of this one.
    const carl = await connect();
    carl.emit('join-room', `${room}-elsewhere`, 'carl');
    const carlHears = quiet(carl, 'offer');
    bob.emit('offer', offer, room);
    await carlHears;
    // Of two joining a room at the same moment, exactly one hears of the other (as from the
    // plan's server): both hearing would make both start the call.
    const pairs = await Promise.all(Array.from({ length: 20 }, () => Promise.all([connect(), connect()])));
    let heard = 0;
    pairs.forEach(([one, other], i) => {
      for (const socket of [one, other]) socket.on('user-connected', () => { heard += 1; });
      one.emit('join-room', `${room}-together-${i}`, 'one');
      other.emit('join-room', `${room}-together-${i}`, 'other');
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    same(heard, pairs.length, 'user-connected heard in rooms joined at once');
  } else {
    // Eve's token does not open Ann's meeting's room, and no token opens no room.
    const eve = await connect(eveToken);
    same(await errorFor(eve, () => eve.emit('join-room', room, 'eve')), 'room-not-found', 'a stranger');
    const nobody = await connect();
    same(await errorFor(nobody, () => nobody.emit('join-room', room, 'nobody')), 'unauthorized', 'no token');
  }

  const gone = next(ann, 'user-disconnected');
  bob.disconnect();
  same(await gone, ['bob'], 'the others hear of a departure');
}

const deadline = setTimeout(() => { console.error('FAILED: still running after 60 s'); process.exit(1); }, 60_000);
main().then(
  () => { clearTimeout(deadline); console.log('PASSED'); sockets.forEach((s) => s.close()); process.exit(0); },
  (error) => { console.error('FAILED:', error && error.stack ? error.stack : error); sockets.forEach((s) => s.close()); process.exit(1); },
);
