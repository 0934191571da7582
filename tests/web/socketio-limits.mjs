// The Socket.io endpoint's limits are the hub's (socket.io-client 4, open mode): a client
// sending faster than VECHE_SIGNAL_RATE is told `rate-limited` for what goes over, and one
// sending a message larger than VECHE_SIGNAL_MAX_MESSAGE_BYTES is disconnected.
//
//   node socketio-limits.mjs <veche base URL> <websocket|polling> <messages to send> <bytes of the large message>
import { io } from 'socket.io-client';

const [base, transport, burst, large] = process.argv.slice(2);
const sockets = [];

function connect() {
  const socket = io(base, { transports: [transport], reconnection: false, forceNew: true });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.on('connect', () => resolve(socket));
    socket.on('connect_error', reject);
  });
}

async function main() {
  const [fast, listener] = await Promise.all([connect(), connect()]);
  fast.emit('join-room', 'limits', 'fast');
  listener.emit('join-room', 'limits', 'listener');
  await new Promise((resolve) => setTimeout(resolve, 300));
  let limited = 0;
  let relayed = 0;
  fast.on('error', (error) => { if (error.code === 'rate-limited') limited += 1; });
  listener.on('ice-candidate', () => { relayed += 1; });
  for (let i = 0; i < Number(burst); i += 1) fast.emit('ice-candidate', { candidate: `c${i}` }, 'limits');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  if (limited === 0) throw new Error(`${burst} messages at once were all taken`);
  if (relayed === 0 || relayed + limited < Number(burst) * 0.9) throw new Error(`relayed ${relayed}, limited ${limited}`);
  console.log(`rate: ${relayed} relayed, ${limited} refused as rate-limited`);

  const big = await connect();
  big.emit('join-room', 'limits', 'big');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const dropped = new Promise((resolve) => big.on('disconnect', resolve));
  big.emit('offer', { sdp: 'x'.repeat(Number(large)) }, 'limits');
  const reason = await Promise.race([dropped, new Promise((resolve) => setTimeout(() => resolve(null), 10_000))]);
  if (!reason) throw new Error('a message over the limit did not end the connection');
  console.log(`size: a ${large}-byte message ended the connection (${reason})`);
}

main().then(
  () => { console.log('PASSED'); sockets.forEach((s) => s.close()); process.exit(0); },
  (error) => { console.error('FAILED:', error && error.stack ? error.stack : error); sockets.forEach((s) => s.close()); process.exit(1); },
);
