package dev.veilraft.crypto.secp256k1;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * BOLT 11 building blocks shared by {@link Bolt11}'s reader and writer: the human-readable part
 * (currency prefix and amount), big-endian integers in 5-bit words, and feature bits.
 */
final class Bolt11Fields {
  /** Tagged field types (the 5-bit value of the bech32 character). */
  static final int TYPE_PAYMENT_HASH = 1; // p
  static final int TYPE_ROUTE = 3; // r
  static final int TYPE_FEATURES = 5; // 9
  static final int TYPE_EXPIRY = 6; // x
  static final int TYPE_FALLBACK = 9; // f
  static final int TYPE_DESCRIPTION = 13; // d
  static final int TYPE_PAYMENT_SECRET = 16; // s
  static final int TYPE_PAYEE = 19; // n
  static final int TYPE_DESCRIPTION_HASH = 23; // h
  static final int TYPE_MIN_FINAL_CLTV_EXPIRY = 24; // c
  static final int TYPE_METADATA = 27; // m
  /** Fixed field lengths in words: 256 bits round up to 52 words, a 33-byte key to 53. */
  static final int HASH_WORDS = 52;
  static final int PAYEE_WORDS = 53;
  static final int TIMESTAMP_WORDS = 7;
  static final int SIGNATURE_WORDS = 104;
  /** A tagged field's data_length is 10 bits. */
  static final int FIELD_WORDS_MAX = 1023;
  /** Integer fields (x, c) hold at most 60 bits so they fit a non-negative long. */
  static final int INTEGER_FIELD_WORDS_MAX = 12;
  /** Amount digits before the multiplier: 21 million bitcoin in pico-bitcoin has 20. */
  static final int AMOUNT_DIGITS_MAX = 20;
  /** Even ("it's OK to be odd") feature bits BOLT 9 assigns to invoices; any other even bit is refused. */
  static final Set<Integer> KNOWN_EVEN_FEATURE_BITS = Set.of(8, 14, 16, 24, 36, 48);
  static final int FEATURE_PAYMENT_SECRET = 14;
  static final int FEATURE_BASIC_MPP = 16;

  private static final String CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  private static final long MSAT_PER_BTC = 100_000_000_000L;
  /** Currency prefixes, longest first so "bcrt" is not read as "bc" + amount "rt". */
  private static final List<String> NETWORKS = List.of("bcrt", "tbs", "bc", "tb");

  private Bolt11Fields() {}

  static String typeName(int type) {
    return "'" + CHARSET.charAt(type) + "'";
  }

  static boolean isNetwork(String network) {
    return NETWORKS.contains(network);
  }

  /** The human-readable part split into its network and amount (null when absent). */
  record HumanReadablePart(String network, Long amountMsat) {}

  static HumanReadablePart parseHrp(String hrp) {
    if (!hrp.startsWith("ln")) {
      throw new IllegalArgumentException("invoice prefix '" + printable(hrp) + "' does not start with \"ln\"");
    }
    String rest = hrp.substring(2);
    for (String network : NETWORKS) {
      if (rest.startsWith(network)) {
        return new HumanReadablePart(network, parseAmount(rest.substring(network.length())));
      }
    }
    throw new IllegalArgumentException("invoice prefix '" + printable(hrp) + "' names an unknown currency (expected lnbc, lntb, lntbs or lnbcrt)");
  }

  private static Long parseAmount(String amount) {
    if (amount.isEmpty()) {
      return null;
    }
    char last = amount.charAt(amount.length() - 1);
    boolean hasMultiplier = last < '0' || last > '9';
    String digits = hasMultiplier ? amount.substring(0, amount.length() - 1) : amount;
    if (digits.isEmpty() || digits.length() > AMOUNT_DIGITS_MAX) {
      throw new IllegalArgumentException("invoice amount '" + printable(amount) + "' must have 1 to " + AMOUNT_DIGITS_MAX + " digits");
    }
    for (int i = 0; i < digits.length(); i++) {
      if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
        throw new IllegalArgumentException("invoice amount '" + printable(amount) + "' is not digits followed by an optional multiplier m, u, n or p");
      }
    }
    if (digits.charAt(0) == '0') {
      throw new IllegalArgumentException("invoice amount '" + printable(amount) + "' is zero or has a leading zero");
    }
    BigInteger value = new BigInteger(digits);
    BigInteger msat = switch (hasMultiplier ? last : ' ') {
      case ' ' -> value.multiply(BigInteger.valueOf(MSAT_PER_BTC));
      case 'm' -> value.multiply(BigInteger.valueOf(MSAT_PER_BTC / 1_000));
      case 'u' -> value.multiply(BigInteger.valueOf(MSAT_PER_BTC / 1_000_000));
      case 'n' -> value.multiply(BigInteger.valueOf(MSAT_PER_BTC / 1_000_000_000));
      case 'p' -> {
        BigInteger[] quotientAndRemainder = value.divideAndRemainder(BigInteger.TEN);
        if (quotientAndRemainder[1].signum() != 0) {
          throw new IllegalArgumentException("invoice amount '" + printable(amount) + "' is not a whole number of millisatoshis");
        }
        yield quotientAndRemainder[0];
      }
      default -> throw new IllegalArgumentException("invoice amount multiplier '" + printable(String.valueOf(last)) + "' is not m, u, n or p");
    };
    if (msat.compareTo(BigInteger.valueOf(Bolt11.AMOUNT_MSAT_MAX)) > 0) {
      throw new IllegalArgumentException("invoice amount '" + printable(amount) + "' exceeds " + Bolt11.AMOUNT_MSAT_MAX + " msat");
    }
    return msat.longValueExact();
  }

  static void checkAmount(long msat, String what) {
    if (msat <= 0 || msat > Bolt11.AMOUNT_MSAT_MAX) {
      throw new IllegalArgumentException(what + " must be 1 to " + Bolt11.AMOUNT_MSAT_MAX + " msat");
    }
  }

  /** The shortest amount text: the largest multiplier that keeps the number whole. */
  static String formatAmount(long msat) {
    if (msat % MSAT_PER_BTC == 0) {
      return Long.toString(msat / MSAT_PER_BTC);
    }
    if (msat % (MSAT_PER_BTC / 1_000) == 0) {
      return msat / (MSAT_PER_BTC / 1_000) + "m";
    }
    if (msat % (MSAT_PER_BTC / 1_000_000) == 0) {
      return msat / (MSAT_PER_BTC / 1_000_000) + "u";
    }
    if (msat % (MSAT_PER_BTC / 1_000_000_000) == 0) {
      return msat / (MSAT_PER_BTC / 1_000_000_000) + "n";
    }
    return msat + "0p";
  }

  /** A big-endian integer from words; refuses leading zero words (non-minimal encodings). */
  static long readInteger(byte[] words, int from, int length, String what) {
    if (length > INTEGER_FIELD_WORDS_MAX) {
      throw new IllegalArgumentException(what + " is " + length + " words, at most " + INTEGER_FIELD_WORDS_MAX + " allowed");
    }
    if (length > 0 && words[from] == 0) {
      throw new IllegalArgumentException(what + " has a non-minimal length (leading zero words)");
    }
    long value = 0;
    for (int i = 0; i < length; i++) {
      value = (value << 5) | words[from + i];
    }
    return value;
  }

  /** Minimal big-endian words of a non-negative value (none for zero). */
  static byte[] integerWords(long value) {
    ByteArrayOutputStream reversed = new ByteArrayOutputStream();
    for (long v = value; v != 0; v >>>= 5) {
      reversed.write((int) (v & 31));
    }
    byte[] little = reversed.toByteArray();
    byte[] out = new byte[little.length];
    for (int i = 0; i < little.length; i++) {
      out[i] = little[little.length - 1 - i];
    }
    return out;
  }

  /** Feature bit numbers set in a '9' field (bit 0 is the last word's least significant bit), ascending. */
  static List<Integer> readFeatures(byte[] words, int from, int length) {
    if (length > 0 && words[from] == 0) {
      throw new IllegalArgumentException("feature field '9' has a non-minimal length (leading zero words)");
    }
    List<Integer> bits = new ArrayList<>();
    for (int i = length - 1; i >= 0; i--) {
      int word = words[from + i];
      for (int bit = 0; bit < 5; bit++) {
        if ((word & (1 << bit)) != 0) {
          bits.add(5 * (length - 1 - i) + bit);
        }
      }
    }
    checkFeatures(bits);
    return List.copyOf(bits);
  }

  /** Refuses unknown even bits and a basic_mpp without payment_secret (BOLT 9 dependency). */
  static void checkFeatures(List<Integer> bits) {
    for (int bit : bits) {
      if (bit < 0 || bit >= FIELD_WORDS_MAX * 5) {
        throw new IllegalArgumentException("feature bit " + bit + " is outside 0.." + (FIELD_WORDS_MAX * 5 - 1));
      }
      if (bit % 2 == 0 && !KNOWN_EVEN_FEATURE_BITS.contains(bit)) {
        throw new IllegalArgumentException("feature bit " + bit + " is required (even) but unknown");
      }
    }
    boolean mpp = bits.contains(FEATURE_BASIC_MPP) || bits.contains(FEATURE_BASIC_MPP + 1);
    boolean secret = bits.contains(FEATURE_PAYMENT_SECRET) || bits.contains(FEATURE_PAYMENT_SECRET + 1);
    if (mpp && !secret) {
      throw new IllegalArgumentException("feature basic_mpp (16/17) is set without its dependency payment_secret (14/15)");
    }
  }

  static byte[] featureWords(List<Integer> bits) {
    if (bits.isEmpty()) {
      return new byte[0];
    }
    int highest = bits.stream().mapToInt(Integer::intValue).max().orElse(-1);
    byte[] words = new byte[highest / 5 + 1];
    for (int bit : bits) {
      words[words.length - 1 - bit / 5] |= (byte) (1 << (bit % 5));
    }
    return words;
  }

  static String printable(String untrusted) {
    String cut = untrusted.length() > 32 ? untrusted.substring(0, 32) + "…" : untrusted;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
