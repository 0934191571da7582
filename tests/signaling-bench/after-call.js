// What idle connections hold after a call's signaling, not only after connecting: N PeerJS
// peers in pairs on veche's PeerJS endpoint (open mode); each sends its partner one 4 KiB
// OFFER and 20 ICE candidates, then all stay idle. Prints the server's RSS per connection
// after connecting and 3 s after the exchange (VmRSS from /proc, less the baseline).
//
//   node tests/signaling-bench/after-call.js <port> <server pid> [N=4000]
//
// Uses the `ws` package of the anchors' workload (../shared/bench/signaling, `npm ci` there).
const path = require('path');
const fs = require('fs');
const bench = process.env.SIGNALING_BENCH_DIR || path.join(__dirname, '../../../shared/bench/signaling');
const WebSocket = require(path.join(bench, 'node_modules/ws'));

const [port, pid] = process.argv.slice(2, 4);
const n = Number(process.argv[4] || 4000);
const rssKiB = () => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sdp = 'v=0 ' + 'a'.repeat(4000);

function connect(index) {
  return new Promise((resolve, reject) => {
    const id = `p-${index >> 1}-${index % 2 ? 'b' : 'a'}`;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/peerjs?key=peerjs&id=${id}&token=t${index}`);
    const peer = { ws, id, received: 0 };
    ws.on('message', (data) => (JSON.parse(data).type === 'OPEN' ? resolve(peer) : peer.received++));
    ws.on('error', reject);
  });
}

(async () => {
  const baseline = rssKiB();
  const peers = [];
  for (let start = 0; start < n; start += 200) {
    const batch = Array.from({ length: Math.min(200, n - start) }, (_, k) => connect(start + k));
    peers.push(...(await Promise.all(batch)));
  }
  await sleep(2000);
  const connected = rssKiB();
  peers.forEach((peer, index) => {
    const dst = peers[index ^ 1].id;
    peer.ws.send(JSON.stringify({ type: 'OFFER', dst, payload: { type: 'offer', sdp } }));
    for (let c = 0; c < 20; c++) {
      peer.ws.send(JSON.stringify({ type: 'CANDIDATE', dst, payload: { candidate: 'candidate:' + 'x'.repeat(150), c } }));
    }
  });
  await sleep(3000);
  const received = peers.reduce((sum, peer) => sum + peer.received, 0);
  const perConn = (kib) => Number(((kib - baseline) / n).toFixed(2));
  console.log(JSON.stringify({ n, expected: n * 21, received, rss_per_conn_connected_kB: perConn(connected), rss_per_conn_after_call_kB: perConn(rssKiB()) }));
  process.exit(received === n * 21 ? 0 : 1);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
