package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.time.Instant;
import java.util.Objects;

/**
 * What every platform layer shares: the evidence must be present and name this layer's platform,
 * and {@link #verifyPlatform} turns the first failed check into a rejection without ever throwing
 * on bad evidence.
 */
abstract class PlatformLayer {
  private final Platform platform;

  PlatformLayer(Platform platform) {
    this.platform = Objects.requireNonNull(platform);
  }

  /** The platform whose evidence this layer checks. */
  public Platform platform() {
    return platform;
  }

  /**
   * Platform checks only, at instant {@code at} for certificate and collateral validity. Accepted
   * results carry the claims; this never throws on bad evidence.
   */
  public final AttestationResult verifyPlatform(Evidence evidence, Instant at) {
    Objects.requireNonNull(at, "at");
    try {
      return AttestationResult.accept(check(evidence, at));
    } catch (Rejection rejection) {
      return rejection.toResult();
    } catch (RuntimeException e) {
      return unreadable(e);
    }
  }

  /** The checks, in order; the first failure is the reason reported. */
  final Claims check(Evidence evidence, Instant at) throws Rejection {
    if (evidence == null) {
      throw new Rejection(RejectReason.MALFORMED, "no evidence");
    }
    if (evidence.getPlatform() != platform) {
      throw new Rejection(RejectReason.PLATFORM_NOT_SUPPORTED, "this verifier checks " + platform
          + " evidence, got " + evidence.getPlatform());
    }
    return checkPlatform(evidence, at);
  }

  /** The platform's own checks on evidence that names this platform. */
  abstract Claims checkPlatform(Evidence evidence, Instant at) throws Rejection;

  /**
   * The last resort for a runtime exception from a parser: bad input must never crash a replica's
   * apply, so it is reported as malformed evidence (and the fuzz targets treat reaching it as a bug).
   */
  static AttestationResult unreadable(RuntimeException e) {
    return AttestationResult.reject(RejectReason.MALFORMED, "evidence could not be read: "
        + e.getClass().getSimpleName());
  }
}
