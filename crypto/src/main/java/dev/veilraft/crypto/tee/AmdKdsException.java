package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.attestation.AttestationException;
import java.net.URI;
import java.util.Objects;

/**
 * AMD KDS did not answer a request with the certificate or list asked for: a non-200 status, a
 * rate limit that outlasted the wait budget, or a body that is too large. Names the URL and the
 * HTTP status so an operator can retry it by hand.
 */
public final class AmdKdsException extends AttestationException {
  private static final long serialVersionUID = 1L;
  /** Status when no HTTP status applies (connection failure, oversized body). */
  public static final int NO_STATUS = -1;

  private final transient URI uri;
  private final int status;

  public AmdKdsException(URI uri, int status, String message) {
    super(message);
    this.uri = Objects.requireNonNull(uri);
    this.status = status;
  }

  public AmdKdsException(URI uri, String message, Throwable cause) {
    super(message, cause);
    this.uri = Objects.requireNonNull(uri);
    this.status = NO_STATUS;
  }

  public URI uri() {
    return uri;
  }

  /** The HTTP status KDS answered, or {@link #NO_STATUS}. */
  public int status() {
    return status;
  }
}
