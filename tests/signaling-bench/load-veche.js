'use strict';
// Load client for veche's own signaling protocol, the same workload as the anchors'
// load-peerjs.js (../shared/bench/signaling: counts, sizes, window, clock, /proc sampling
// all come from its common.js), with veche's envelope and rooms that are real meetings:
//   setup: the organizer schedules R meetings with one attendee (HTTP API)
//   connect ws://HOST:PORT/api/rooms/<room>/signal?access_token=<jwt>&peer_id=<id>
//   <- {"type":"welcome",...}                                   (the peer is up)
//   -> {"type":"signal","to":"<peer>","kind":"offer"|"answer"|"candidate","data":{...}}
//   <- {"type":"signal","kind":...,"from":"<sender>","data":{...}}   (at the partner)
// No application heartbeat: the server pings at the WebSocket level and `ws` answers.
//   --mode relay : R rooms x 2 peers, each sends M messages to its partner (window W).
//   --mode idle  : N connections in N/2 rooms held idle; server RSS per connection.
const path = require('path');
const benchDir = process.env.SIGNALING_BENCH_DIR || path.resolve(__dirname, '../../../shared/bench/signaling');
const WebSocket = require(path.join(benchDir, 'node_modules/ws'));
const crypto = require('crypto');
const C = require(path.join(benchDir, 'common.js'));

const opts = C.parseArgs({
  mode: 'relay', host: '127.0.0.1', port: 8080,
  token_a: '', token_b: '', email_b: 'b@bench.invalid',
  rooms: 100, msgs: 200, window: 16, cand_bytes: 200, sdp_bytes: 4096, sdp_every: 20,
  conns: 2000, connect_concurrency: 200, hold_s: 5, join_timeout_s: 30, deadline_s: 110,
  server_pid: 0, label: 'veche', out: '',
});
const pid = opts.server_pid || 0;
const runTag = crypto.randomBytes(3).toString('hex');
const base = `http://${opts.host}:${opts.port}`;

// Schedules `count` meetings (organizer a, attendee b), 200 at a time; returns room ids.
async function scheduleRooms(count) {
  const rooms = [];
  await C.pool([...Array(count).keys()], 64, async (i) => {
    const response = await fetch(`${base}/api/meetings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token_a}` },
      body: JSON.stringify({
        title: `bench ${runTag} ${i}`, start: '2027-01-15T10:00:00', end: '2027-01-15T11:00:00',
        time_zone: 'Europe/Berlin', attendees: [{ email: opts.email_b }],
      }),
    });
    if (response.status !== 201) throw new Error(`scheduling failed: ${response.status} ${await response.text()}`);
    rooms[i] = (await response.json()).meeting.room_id;
  });
  // The hub authorises a join from the read model: wait until it has the last meeting.
  return rooms;
}

C.boundedRun(opts, async (result) => {
  result.label = opts.label;
  result.protocol = 'veche';
  result.mode = opts.mode;
  result.versions = C.versions();
  result.params = { ...opts, token_a: '<jwt>', token_b: '<jwt>' };
  const errors = result.errors;
  const bump = (k) => { errors[k] = (errors[k] || 0) + 1; };
  let closing = false;

  function openPeer(room, id, token, handlers) {
    const ws = new WebSocket(`ws://${opts.host}:${opts.port}/api/rooms/${room}/signal?access_token=${token}&peer_id=${id}`);
    ws.on('message', (data) => {
      let m;
      try { m = JSON.parse(data.toString()); } catch { bump('bad_json'); return; }
      switch (m.type) {
        case 'welcome': handlers.onOpen(); break;
        case 'signal': handlers.onRelay(m); break;
        case 'joined': case 'left': case 'pong': break;
        default: bump('server_msg:' + m.type + (m.code ? ':' + m.code : '')); if (handlers.onFail) handlers.onFail();
      }
    });
    // The first few reasons go into the notes: a count alone cannot tell a refused upgrade
    // ("Unexpected server response: 503") from a reset or a descriptor limit.
    const note = (what) => { if (result.notes.length < 5) result.notes.push(what); };
    ws.on('error', (e) => { bump('ws_error'); note(`ws error: ${e && e.message}`); handlers.onFail && handlers.onFail(); });
    ws.on('close', (code, reason) => { if (!closing) { bump('ws_close'); note(`closed ${code} ${reason}`); handlers.onFail && handlers.onFail(); } });
    return ws;
  }
  const stopAll = (sockets) => {
    closing = true;
    for (const ws of sockets) if (ws) { try { ws.close(1000); } catch { /* ignore */ } }
  };

  const rooms = await scheduleRooms(opts.mode === 'relay' ? opts.rooms : Math.ceil(opts.conns / 2));
  await C.sleep(500); // let the projector catch up with the meetings just scheduled
  const rssBase = C.procStatus(pid);
  result.server_rss_baseline_kB = rssBase && rssBase.VmRSS_kB;

  if (opts.mode === 'relay') {
    const R = opts.rooms, M = opts.msgs, W = opts.window;
    const peers = [];
    for (let r = 0; r < R; r++) {
      const a = { room: r, role: 'a', id: `p${runTag}-${r}-a`, token: opts.token_a };
      const b = { room: r, role: 'b', id: `p${runTag}-${r}-b`, token: opts.token_b };
      a.partner = b; b.partner = a;
      peers.push(a, b);
    }
    for (const p of peers) { p.sent = 0; p.acked = 0; p.tStart = 0; p.tOpen = 0; p.failed = false; }
    let nOpen = 0, nFailed = 0;
    const expected = R * 2 * M;
    let target = expected;
    const lat = new Float64Array(expected);
    let received = 0;
    let resolveJoin, resolveDone;
    const joinPromise = new Promise((r) => { resolveJoin = r; });
    const donePromise = new Promise((r) => { resolveDone = r; });
    const checkJoin = () => { if (nOpen + nFailed >= peers.length) resolveJoin(); };

    const pump = (s) => {
      while (s.sent < M && s.sent - s.acked < W) {
        const seq = s.sent++;
        const t = C.nowMs();
        let msg;
        if (seq % opts.sdp_every === 0) {
          const kind = s.role === 'a' ? 'offer' : 'answer';
          msg = { type: 'signal', to: s.partner.id, kind, data: C.sdpPayload(kind, seq, t, opts.sdp_bytes) };
        } else {
          msg = { type: 'signal', to: s.partner.id, kind: 'candidate', data: C.candidatePayload(seq, t, opts.cand_bytes) };
        }
        s.ws.send(JSON.stringify(msg));
      }
    };
    const onRelay = (p) => (m) => {
      const now = C.nowMs();
      const s = p.partner;
      if (m.from !== s.id) bump('wrong_src_dst');
      const payload = m.data;
      if (!payload || payload.seq !== s.acked) bump('out_of_order');
      const isSdp = payload && payload.seq % opts.sdp_every === 0;
      const want = isSdp ? (s.role === 'a' ? 'offer' : 'answer') : 'candidate';
      if (m.kind !== want) bump('wrong_type');
      if (received < expected) lat[received] = now - payload.t;
      received++;
      s.acked++;
      if (received === target) resolveDone();
      else pump(s);
    };

    const t0 = C.nowMs();
    for (const p of peers) {
      p.tStart = C.nowMs();
      p.ws = openPeer(rooms[p.room], p.id, p.token, {
        onOpen: () => { if (p.tOpen) { bump('duplicate_open'); return; } p.tOpen = C.nowMs(); nOpen++; checkJoin(); },
        onRelay: onRelay(p),
        onFail: () => { if (!p.tOpen && !p.failed) { p.failed = true; nFailed++; checkJoin(); } },
      });
    }
    const joinTimer = C.sleep(opts.join_timeout_s * 1000).then(() => 'timeout');
    if ((await Promise.race([joinPromise, joinTimer])) === 'timeout') bump('join_phase_timeout');
    const tJoined = C.nowMs();
    const openLat = peers.filter((p) => p.tOpen).map((p) => p.tOpen - p.tStart);
    const readyLat = [];
    let roomsReady = 0;
    for (let r = 0; r < R; r++) {
      const a = peers[2 * r], b = peers[2 * r + 1];
      if (a.tOpen && b.tOpen) { roomsReady++; readyLat.push(Math.max(a.tOpen, b.tOpen) - Math.min(a.tStart, b.tStart)); }
    }
    result.peers = peers.length;
    result.connected = nOpen;
    result.rooms_ready = roomsReady;
    result.connect_ms = C.summary(openLat);
    result.room_ready_ms = C.summary(readyLat);
    result.all_joined_ms = C.round(tJoined - t0);
    const rssJoined = C.procStatus(pid);
    result.server_rss_joined_kB = rssJoined && rssJoined.VmRSS_kB;

    const ready = peers.filter((p) => p.tOpen && p.partner.tOpen);
    target = ready.length * M;
    const cpu0 = C.procCpuSec(pid), cc0 = process.cpuUsage();
    const tS = C.nowMs();
    for (const p of ready) pump(p);
    const remaining = Math.max(1000, opts.deadline_s * 1000 - (C.nowMs() - t0) - 3000);
    const relayTimer = C.sleep(remaining).then(() => 'timeout');
    if (target === 0) bump('no_ready_peers');
    else if ((await Promise.race([donePromise, relayTimer])) === 'timeout') bump('relay_phase_timeout');
    const tE = C.nowMs();
    const cpu1 = C.procCpuSec(pid), cc1 = process.cpuUsage(cc0);
    const relayS = (tE - tS) / 1000;
    result.expected_msgs = expected;
    result.relayed_msgs = received;
    if (received < expected) errors.missing_msgs = expected - received;
    result.relay_s = C.round(relayS);
    result.msgs_per_s = C.round(Math.min(received, expected) / relayS, 1);
    result.latency_ms = C.summary(lat.subarray(0, Math.min(received, expected)));
    result.server_cpu_s = cpu0 !== null ? C.round(cpu1 - cpu0) : null;
    result.server_cpu_pct = cpu0 !== null ? C.round((100 * (cpu1 - cpu0)) / relayS, 1) : null;
    result.server_cpu_us_per_msg = cpu0 !== null && received ? C.round(((cpu1 - cpu0) * 1e6) / received, 2) : null;
    result.client_cpu_pct = C.round((100 * (cc1.user + cc1.system) / 1e6) / relayS, 1);
    result.client_cpu_us_per_msg = received ? C.round((cc1.user + cc1.system) / received, 2) : null;
    const st = C.procStatus(pid);
    result.server_rss_end_kB = st && st.VmRSS_kB;
    result.server_peak_rss_kB = st && st.VmHWM_kB;
    stopAll(peers.map((p) => p.ws));
    result.ok = received >= expected && Object.keys(errors).length === 0;
    return;
  }

  if (opts.mode === 'idle') {
    const N = opts.conns;
    const socks = new Array(N);
    const openLat = [];
    let nOpen = 0;
    const t0 = C.nowMs();
    await C.pool([...Array(N).keys()], opts.connect_concurrency, (i) => new Promise((resolve) => {
      const tStart = C.nowMs();
      let done = false;
      const finish = () => { if (!done) { done = true; clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => { bump('connect_timeout'); finish(); }, 15000);
      const token = i % 2 === 0 ? opts.token_a : opts.token_b;
      socks[i] = openPeer(rooms[i >> 1], `i${runTag}-${i}`, token, {
        onOpen: () => { openLat.push(C.nowMs() - tStart); nOpen++; finish(); },
        onRelay: () => bump('unexpected_relay'),
        onFail: finish,
      });
    }));
    const tAll = C.nowMs();
    await C.sleep(opts.hold_s * 1000);
    const st = C.procStatus(pid);
    result.conns = N;
    result.connected = nOpen;
    result.all_connected = nOpen === N;
    result.connect_ms = C.summary(openLat);
    result.all_connected_ms = C.round(tAll - t0);
    result.connects_per_s = C.round((nOpen / (tAll - t0)) * 1000, 1);
    result.server_rss_loaded_kB = st && st.VmRSS_kB;
    result.server_peak_rss_kB = st && st.VmHWM_kB;
    result.server_rss_per_conn_kB = st && rssBase && nOpen ? C.round((st.VmRSS_kB - rssBase.VmRSS_kB) / nOpen, 2) : null;
    result.client_rss_kB = Math.round(process.memoryUsage().rss / 1024);
    stopAll(socks);
    result.ok = result.all_connected && Object.keys(errors).length === 0;
    return;
  }
  throw new Error('unknown --mode ' + opts.mode);
});
