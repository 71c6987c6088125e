package dev.veilraft.crypto.attestation;

import java.util.Objects;

/**
 * A report's bytes cannot be read as the format it claims: wrong length, or a version this code
 * does not know. Carries the {@link RejectReason} a verifier reports for it.
 */
public final class MalformedReportException extends Exception {
  private static final long serialVersionUID = 1L;

  private final RejectReason reason;

  public MalformedReportException(RejectReason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason);
  }

  /** {@link RejectReason#MALFORMED} or {@link RejectReason#UNSUPPORTED_REPORT_VERSION}. */
  public RejectReason reason() {
    return reason;
  }
}
