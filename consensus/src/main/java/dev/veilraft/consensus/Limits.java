package dev.veilraft.consensus;

/** Bounds on what enters the log. */
public final class Limits {
  /** Largest plaintext event a client may seal. */
  public static final int EVENT_BYTES_MAX = 64 * 1024;
  /** Largest sealed request: the event plus HPKE overhead and headers. */
  public static final int SEALED_REQUEST_BYTES_MAX = EVENT_BYTES_MAX + 1024;
  /** Largest proposal of any kind (admissions carry evidence and certificate chains). */
  public static final int PROPOSAL_BYTES_MAX = 256 * 1024;

  private Limits() {}
}
