/** A connection's quality from `getStats`: round-trip time and packet loss. */

export interface Quality {
  /** Round-trip time of the selected candidate pair, ms. */
  rttMs: number | null;
  /** Share of the packets we should have received that were lost, percent. */
  lossPercent: number | null;
  level: 'good' | 'fair' | 'poor';
  /** Whether the media goes through a TURN relay. */
  relayed: boolean;
}

export async function measure(pc: RTCPeerConnection): Promise<Quality | null> {
  const stats = await pc.getStats();
  let rttMs: number | null = null;
  let relayed = false;
  let lost = 0;
  let received = 0;
  const byId = new Map<string, Record<string, unknown>>();
  stats.forEach((report) => byId.set(report.id, report as Record<string, unknown>));
  for (const report of byId.values()) {
    if (report.type === 'candidate-pair' && report.state === 'succeeded' && report.nominated) {
      if (typeof report.currentRoundTripTime === 'number') rttMs = report.currentRoundTripTime * 1000;
      const local = byId.get(String(report.localCandidateId));
      relayed ||= local?.candidateType === 'relay';
    }
    if (report.type === 'inbound-rtp') {
      lost += Number(report.packetsLost ?? 0);
      received += Number(report.packetsReceived ?? 0);
    }
  }
  if (rttMs === null && received === 0) return null;
  const lossPercent = received + lost > 0 ? (100 * lost) / (received + lost) : null;
  const level = (rttMs ?? 0) > 400 || (lossPercent ?? 0) > 8 ? 'poor' : (rttMs ?? 0) > 150 || (lossPercent ?? 0) > 2 ? 'fair' : 'good';
  return { rttMs, lossPercent, level, relayed };
}
