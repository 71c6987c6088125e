package dev.veilraft.apps.cashu;

/**
 * The Cashu error codes this mint answers with (cashubtc/nuts error_codes.md, 2026 numbering),
 * plus {@link #MALFORMED} and {@link #QUOTE_NOT_FOUND} for refusals the table has no code for
 * (the class codes 10000 and 20000 other mints also use).
 */
public enum MintError {
  /** The request does not parse, has wrong types, out-of-range numbers or values that are no curve points. */
  MALFORMED(10000, "Request is malformed"),
  PROOF_VERIFICATION_FAILED(10001, "Proof verification failed"),
  PROOFS_SPENT(11001, "Proofs already spent"),
  PROOFS_PENDING(11002, "Proofs are pending"),
  OUTPUTS_SIGNED(11003, "Outputs already signed"),
  OUTPUTS_PENDING(11004, "Outputs are pending"),
  UNBALANCED(11005, "Transaction is not balanced"),
  AMOUNT_OUT_OF_RANGE(11006, "Amount outside of limit range"),
  DUPLICATE_INPUTS(11007, "Duplicate inputs provided"),
  DUPLICATE_OUTPUTS(11008, "Duplicate outputs provided"),
  AMOUNTLESS_INVOICE(11011, "Amountless invoice is not supported"),
  UNIT_UNSUPPORTED(11013, "Unit in request is not supported"),
  TOO_MANY_INPUTS(11014, "Max inputs exceeded"),
  TOO_MANY_OUTPUTS(11015, "Max outputs exceeded"),
  KEYSET_UNKNOWN(12001, "Keyset is not known"),
  KEYSET_INACTIVE(12002, "Keyset is inactive, cannot sign messages"),
  QUOTE_NOT_FOUND(20000, "Quote not found"),
  QUOTE_NOT_PAID(20001, "Quote request is not paid"),
  QUOTE_ISSUED(20002, "Quote has already been issued"),
  PAYMENT_FAILED(20004, "Lightning payment failed"),
  QUOTE_PENDING(20005, "Quote is pending"),
  INVOICE_PAID(20006, "Invoice already paid"),
  QUOTE_EXPIRED(20007, "Quote is expired");

  private final int code;
  private final String title;

  MintError(int code, String title) {
    this.code = code;
    this.title = title;
  }

  public int code() {
    return code;
  }

  public String title() {
    return title;
  }

  /** The error with this code, or null. */
  public static MintError byCode(int code) {
    for (MintError error : values()) {
      if (error.code == code) {
        return error;
      }
    }
    return null;
  }
}
