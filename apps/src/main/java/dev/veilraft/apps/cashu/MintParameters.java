package dev.veilraft.apps.cashu;

/**
 * The mint's consensus-relevant parameters. Every replica judges every request by these, so they
 * are constants of the code (changing one is a code upgrade, approved through the cluster's
 * policy), never node-local configuration: a node that judged by its own fee or limit would
 * diverge from the others.
 */
public final class MintParameters {
  /** The only currency unit: satoshi. */
  public static final String UNIT = "sat";
  /** The only payment method (NUT-23). */
  public static final String METHOD = "bolt11";
  /**
   * Denominations are 2^0 .. 2^{@value} sat (33 keys); one proof is worth at most about 43 BTC,
   * and every sum of at most {@link #INPUTS_MAX} of them fits a JSON-safe integer.
   */
  public static final int AMOUNT_EXPONENT_MAX = 32;
  /** NUT-02 input fee, parts per thousand per input: 0.1 sat per proof, rounded up per request. */
  public static final int INPUT_FEE_PPK = 100;

  /** Smallest and largest mint quote (NUT-04), sat. */
  public static final long MINT_AMOUNT_MIN = 1;
  public static final long MINT_AMOUNT_MAX = 1_000_000;
  /** Smallest and largest melt quote (NUT-05), sat. */
  public static final long MELT_AMOUNT_MIN = 1;
  public static final long MELT_AMOUNT_MAX = 1_000_000;
  /** Lifetime of the invoice behind a mint quote: the front end asks its Lightning backend for this. */
  public static final long MINT_QUOTE_EXPIRY_SECONDS = 3_600;
  /** The longest invoice expiry a mint quote accepts (keeps every stored expiry a JSON-safe integer). */
  public static final long MINT_INVOICE_EXPIRY_SECONDS_MAX = 7L * 24 * 3600;
  /** A melt quote must be used within this time (leader time), and never after its invoice expires. */
  public static final long MELT_QUOTE_EXPIRY_SECONDS = 600;
  /**
   * Lightning fee reserve of a melt quote: at least {@value} sat and {@link #FEE_RESERVE_FLOOR_PPK}
   * per thousand of the amount (what the front end's estimate may raise, up to the ceiling).
   */
  public static final long FEE_RESERVE_MIN_SAT = 2;
  public static final long FEE_RESERVE_FLOOR_PPK = 10;
  /** The largest fee reserve a melt quote may carry, per thousand of the amount plus {@link #FEE_RESERVE_MIN_SAT}. */
  public static final long FEE_RESERVE_CEILING_PPK = 50;

  /**
   * An unpaid quote is forgotten this long after it expired (a Lightning node refuses payments to
   * an expired invoice, so no payment can arrive for it by then).
   */
  public static final long QUOTE_RETENTION_SECONDS = 24 * 3600;
  /**
   * A melt payment no member's Lightning backend knows counts as never made once its invoice
   * expired this long ago (leader time): nobody can pay an expired invoice any more.
   */
  public static final long UNKNOWN_PAYMENT_GRACE_SECONDS = 600;
  /** Expired unpaid quotes forgotten per quote-creating request at most, so one entry's work stays bounded. */
  public static final int QUOTES_PRUNED_PER_ENTRY_MAX = 4;

  /** Proofs spent by one request at most (NUT-03/05, error 11014). */
  public static final int INPUTS_MAX = 100;
  /** Blinded messages signed by one request at most (error 11015). */
  public static final int OUTPUTS_MAX = 100;
  /** Points asked about by one check-state request at most (NUT-07). */
  public static final int CHECK_STATE_YS_MAX = 100;
  /** A proof's secret is 1 .. {@value} bytes of UTF-8 (a plain secret is 64 hex characters). */
  public static final int SECRET_BYTES_MAX = 256;
  /** A mint quote's invoice description, UTF-8 bytes at most. */
  public static final int DESCRIPTION_BYTES_MAX = 256;
  /** A BOLT 11 invoice a melt quote may carry, characters at most. */
  public static final int INVOICE_CHARS_MAX = 2_048;
  /**
   * One encoded request to the replicated app, bytes at most: fits the cluster's default event
   * bound (64 KiB, limits.event_bytes_max) with room for the event's own framing.
   */
  public static final int REQUEST_BYTES_MAX = 60 * 1024;

  /** Largest integer a JSON amount may carry (JavaScript's safe integers). */
  public static final long JSON_INTEGER_MAX = (1L << 53) - 1;

  private MintParameters() {}

  /** NUT-02: the sum of every input's fee, rounded up to a whole sat. */
  public static long inputFee(int inputCount) {
    return ((long) inputCount * INPUT_FEE_PPK + 999) / 1000;
  }

  /** The smallest fee reserve a melt quote of {@code amount} sat may carry. */
  public static long feeReserveFloor(long amount) {
    return Math.max(FEE_RESERVE_MIN_SAT, (amount * FEE_RESERVE_FLOOR_PPK + 999) / 1000);
  }

  /** The largest fee reserve a melt quote of {@code amount} sat may carry. */
  public static long feeReserveCeiling(long amount) {
    return FEE_RESERVE_MIN_SAT + (amount * FEE_RESERVE_CEILING_PPK + 999) / 1000;
  }

  /** Whether {@code amount} is one of the keyset's denominations. */
  public static boolean isDenomination(long amount) {
    return amount > 0 && Long.bitCount(amount) == 1 && Long.numberOfTrailingZeros(amount) <= AMOUNT_EXPONENT_MAX;
  }
}
