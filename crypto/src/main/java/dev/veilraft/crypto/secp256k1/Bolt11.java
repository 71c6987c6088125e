package dev.veilraft.crypto.secp256k1;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * BOLT 11 Lightning invoices (lightning/bolts {@code 11-payment-encoding.md}): enough for a mint's
 * fake Lightning backend and for decoding melt requests.
 *
 * <p>{@link #decode} checks the bech32 checksum (BIP-173 without its 90-character limit; bounded by
 * {@link #INVOICE_CHARS_MAX}), the currency prefix and amount, every known tagged field's length and
 * minimal encoding, the required fields ({@code p}, {@code s}, exactly one of {@code d}/{@code h}),
 * feature bits (unknown even bits refused) and the signature: against the {@code n} field's key when
 * present (low-S required), else by public-key recovery (high-S accepted). Fields {@code f}, {@code
 * r}, {@code m} and unknown types are skipped. Fields the spec writes once ({@code p, s, d, h, n, x,
 * c, 9}) are refused when repeated, so no two readers can disagree on which one counts.
 */
public final class Bolt11 {
  /** Upper bound on an invoice's length, as lnd uses (a QR code's alphanumeric capacity is larger still). */
  public static final int INVOICE_CHARS_MAX = 7089;
  public static final long DEFAULT_EXPIRY_SECONDS = 3600;
  public static final long DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA = 18;
  /** The timestamp is 35 bits. */
  public static final long TIMESTAMP_SECONDS_MAX = (1L << 35) - 1;
  /** 21 million bitcoin in millisatoshis: larger amounts are refused (they also could overflow). */
  public static final long AMOUNT_MSAT_MAX = 21_000_000L * 100_000_000_000L;
  /** A tagged field holds at most 1023 words: 639 whole bytes of description. */
  public static final int DESCRIPTION_BYTES_MAX = 639;
  /** Integer fields ({@code x}, {@code c}) are refused at 2^60 and above. */
  public static final long INTEGER_FIELD_MAX = (1L << 60) - 1;
  /** var_onion_optin (8) and payment_secret (14), both required: what every BOLT 11 example invoice sets. */
  public static final List<Integer> DEFAULT_FEATURE_BITS = List.of(8, 14);
  public static final String NETWORK_MAINNET = "bc";
  public static final String NETWORK_TESTNET = "tb";
  public static final String NETWORK_REGTEST = "bcrt";
  public static final String NETWORK_SIGNET = "tbs";
  private static final HexFormat HEX = HexFormat.of();

  private Bolt11() {}

  /**
   * The fields of an invoice a mint needs. Arrays are not copied.
   *
   * @param network "bc" (mainnet), "tb" (testnet), "bcrt" (regtest), "tbs" (signet)
   * @param amountMsat null = no amount
   * @param description the {@code d} field; null when the invoice carries a description hash ({@code h}) instead
   * @param expirySeconds the {@code x} field, {@link #DEFAULT_EXPIRY_SECONDS} when absent
   * @param payeeNodeKey the compressed key that signed the invoice
   */
  public record Invoice(String network, Long amountMsat, long timestampSeconds, byte[] paymentHash, byte[] paymentSecret,
      String description, long expirySeconds, byte[] payeeNodeKey) {

    /** The instant (seconds since 1970) after which the payee refuses payment. */
    public long expiresAtSeconds() {
      return timestampSeconds + expirySeconds;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Invoice that
          && Objects.equals(network, that.network) && Objects.equals(amountMsat, that.amountMsat)
          && timestampSeconds == that.timestampSeconds && Arrays.equals(paymentHash, that.paymentHash)
          && Arrays.equals(paymentSecret, that.paymentSecret) && Objects.equals(description, that.description)
          && expirySeconds == that.expirySeconds && Arrays.equals(payeeNodeKey, that.payeeNodeKey);
    }

    @Override
    public int hashCode() {
      return Objects.hash(network, amountMsat, timestampSeconds, Arrays.hashCode(paymentHash), description, expirySeconds);
    }

    /** Omits the payment secret, which guards the payee against probing. */
    @Override
    public String toString() {
      return "Invoice[network=" + network + ", amountMsat=" + amountMsat + ", timestampSeconds=" + timestampSeconds
          + ", paymentHash=" + hex(paymentHash) + ", description="
          + (description == null ? null : '"' + Bolt11Fields.printable(description) + '"')
          + ", expirySeconds=" + expirySeconds + ", payeeNodeKey=" + hex(payeeNodeKey) + "]";
    }
  }

  /**
   * Invoice fields beyond {@link Invoice}.
   *
   * @param descriptionHash the {@code h} field (32 bytes), or null when the invoice has a {@code d} field
   * @param minFinalCltvExpiryDelta the {@code c} field, or null when absent (then {@link
   *     #DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA} applies)
   * @param featureBits the {@code 9} field's set bits, ascending and distinct; empty when absent
   */
  public record Details(byte[] descriptionHash, Long minFinalCltvExpiryDelta, List<Integer> featureBits) {
    /** What {@link #encode(Invoice, byte[])} writes: a {@code d} description, no {@code c}, {@link #DEFAULT_FEATURE_BITS}. */
    public static final Details DEFAULT = new Details(null, null, DEFAULT_FEATURE_BITS);

    public Details {
      featureBits = featureBits == null ? List.of() : featureBits.stream().distinct().sorted().toList();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Details that && Arrays.equals(descriptionHash, that.descriptionHash)
          && Objects.equals(minFinalCltvExpiryDelta, that.minFinalCltvExpiryDelta) && featureBits.equals(that.featureBits);
    }

    @Override
    public int hashCode() {
      return Objects.hash(Arrays.hashCode(descriptionHash), minFinalCltvExpiryDelta, featureBits);
    }

    @Override
    public String toString() {
      return "Details[descriptionHash=" + hex(descriptionHash) + ", minFinalCltvExpiryDelta=" + minFinalCltvExpiryDelta
          + ", featureBits=" + featureBits + "]";
    }
  }

  /** A decoded invoice with its extra fields. */
  public record Decoded(Invoice invoice, Details details) {}

  /**
   * Parses an invoice and checks the checksum, field lengths and the signature, recovering the
   * payee key. Upper- or lowercase, not mixed; no "lightning:" prefix.
   *
   * @throws IllegalArgumentException naming the defect
   */
  public static Invoice decode(String invoice) {
    return decodeWithDetails(invoice).invoice();
  }

  /** As {@link #decode}, also returning the description hash, {@code c} and feature bits. */
  public static Decoded decodeWithDetails(String invoice) {
    return Bolt11Reader.read(invoice);
  }

  /**
   * Encodes and signs with {@code nodeSecret} using {@link Details#DEFAULT}. The argument's {@code
   * payeeNodeKey} is ignored; the result's is the key of {@code nodeSecret}. No {@code n} field is
   * written (readers recover the key). Signatures are RFC 6979 deterministic and low-S.
   */
  public static String encode(Invoice invoice, byte[] nodeSecret) {
    return encode(invoice, Details.DEFAULT, nodeSecret);
  }

  /**
   * As {@link #encode(Invoice, byte[])} with explicit details. Fields are written in the order
   * {@code s p d|h x c 9}; {@code x} only when the expiry differs from the default. With {@code
   * details.descriptionHash()} set, {@code invoice.description()} must be null.
   */
  public static String encode(Invoice invoice, Details details, byte[] nodeSecret) {
    return Bolt11Writer.write(invoice, details, nodeSecret);
  }

  private static String hex(byte[] bytes) {
    return bytes == null ? "null" : HEX.formatHex(bytes);
  }
}
