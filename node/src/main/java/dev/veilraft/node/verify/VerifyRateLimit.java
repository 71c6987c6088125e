package dev.veilraft.node.verify;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Token buckets that bound how often {@code POST /v1/verify} runs a verification: one per caller
 * address and one for all callers. {@link VerifyApi#CONCURRENT_MAX} bounds how many run at once,
 * but not how often: pipelined TDX or CRL verifications (tens of milliseconds of RSA/ECDSA each)
 * back to back could still take a core of a two-core node from Raft heartbeats and apply. The
 * global bucket bounds the CPU the route takes in total; the per-address bucket keeps one caller
 * from taking all of it. Addresses are bucketed by IPv4 address or IPv6 /64 (one host usually
 * holds a whole /64); at most {@link #SOURCES_TRACKED_MAX} are tracked, the least recently seen
 * forgotten first (a forgotten address starts again with a full bucket; the global bucket still
 * holds). Behind a reverse proxy every caller has the proxy's address: the per-address bound then
 * is a second global one.
 */
final class VerifyRateLimit {
  /** Verifications one caller address may start per second, sustained. */
  static final double SOURCE_RATE_PER_SECOND = 2;
  /** Verifications one caller address may start back to back before its rate applies. */
  static final double SOURCE_BURST = 4;
  /**
   * Verifications all callers together may start per second, sustained: at ~20 ms of CPU for a TDX
   * quote with collateral, about a fifth of one core.
   */
  static final double GLOBAL_RATE_PER_SECOND = 10;
  /** Verifications all callers together may start back to back before the global rate applies. */
  static final double GLOBAL_BURST = 10;
  /** Caller addresses whose buckets are remembered. */
  static final int SOURCES_TRACKED_MAX = 4096;
  /** Retry-After is at least this many seconds (HTTP counts in whole seconds). */
  static final long RETRY_AFTER_SECONDS_MIN = 1;

  /** What a caller is told: allowed, or limited by its own or the global bucket and when to retry. */
  record Decision(boolean allowed, boolean global, long retryAfterSeconds) {
    static final Decision ALLOWED = new Decision(true, false, 0);
  }

  private final LongSupplier nanoTime;
  private final TokenBucket everyone;
  private final Map<String, TokenBucket> sources = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, TokenBucket> eldest) {
      return size() > SOURCES_TRACKED_MAX;
    }
  };

  VerifyRateLimit(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    this.everyone = new TokenBucket(GLOBAL_RATE_PER_SECOND, GLOBAL_BURST, nanoTime.getAsLong());
  }

  /** Takes a token from {@code source}'s bucket and the global one, or neither. */
  synchronized Decision tryAcquire(String source) {
    long now = nanoTime.getAsLong();
    TokenBucket own = sources.computeIfAbsent(bucketKey(source),
        key -> new TokenBucket(SOURCE_RATE_PER_SECOND, SOURCE_BURST, now));
    long ownWaitNanos = own.nanosUntilToken(now);
    if (ownWaitNanos > 0) {
      return new Decision(false, false, retryAfterSeconds(ownWaitNanos));
    }
    long globalWaitNanos = everyone.nanosUntilToken(now);
    if (globalWaitNanos > 0) {
      return new Decision(false, true, retryAfterSeconds(globalWaitNanos));
    }
    own.take();
    everyone.take();
    return Decision.ALLOWED;
  }

  /** The bucket of an address: IPv4 as is, IPv6 by its first four groups (its /64). */
  static String bucketKey(String address) {
    if (address == null || address.isEmpty()) {
      return "unknown";
    }
    String bare = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1)
        : address;
    if (!bare.contains(":")) {
      return bare;
    }
    try {
      byte[] bytes = java.net.InetAddress.getByName(bare).getAddress();
      if (bytes.length != 16) {
        return bare;
      }
      StringBuilder prefix = new StringBuilder();
      for (int i = 0; i < 8; i += 2) {
        prefix.append(String.format("%02x%02x:", bytes[i], bytes[i + 1]));
      }
      return prefix.append(":/64").toString();
    } catch (java.net.UnknownHostException e) {
      return bare; // a literal that does not parse is its own bucket
    }
  }

  private static long retryAfterSeconds(long waitNanos) {
    return Math.max(RETRY_AFTER_SECONDS_MIN, (waitNanos + 999_999_999L) / 1_000_000_000L);
  }

  /** A token bucket on a monotonic clock: {@code burst} tokens at most, refilled at {@code ratePerSecond}. */
  private static final class TokenBucket {
    private final double ratePerNano;
    private final double burst;
    private double tokens;
    private long refilledNanos;

    TokenBucket(double ratePerSecond, double burst, long nowNanos) {
      this.ratePerNano = ratePerSecond / 1e9;
      this.burst = burst;
      this.tokens = burst;
      this.refilledNanos = nowNanos;
    }

    /** Refills up to now; 0 when a token is there, else how long until one is. */
    long nanosUntilToken(long nowNanos) {
      long elapsed = Math.max(0, nowNanos - refilledNanos);
      tokens = Math.min(burst, tokens + elapsed * ratePerNano);
      refilledNanos = Math.max(refilledNanos, nowNanos);
      return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / ratePerNano);
    }

    void take() {
      tokens -= 1;
    }
  }
}
