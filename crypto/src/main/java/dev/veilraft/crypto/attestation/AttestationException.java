package dev.veilraft.crypto.attestation;

/** The TEE could not produce evidence (device missing, firmware error, bad request). */
public class AttestationException extends Exception {
  private static final long serialVersionUID = 1L;

  public AttestationException(String message) {
    super(message);
  }

  public AttestationException(String message, Throwable cause) {
    super(message, cause);
  }
}
