package dev.veilraft.crypto.secp256k1;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Locale;

/**
 * Bech32 (BIP-173, not bech32m) with a caller-chosen length bound instead of BIP-173's 90
 * characters, which BOLT 11 invoices exceed. Data is handled as 5-bit words (one per byte, values
 * 0..31). Errors are {@link IllegalArgumentException}s naming the defect.
 */
public final class Bech32 {
  /** BIP-173: the human-readable part is 1 to 83 characters. */
  public static final int HRP_CHARS_MAX = 83;
  public static final int CHECKSUM_WORDS = 6;
  private static final String CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  private static final byte[] CHARSET_REV = new byte[128];
  private static final int CHECKSUM_CONSTANT = 1;

  static {
    Arrays.fill(CHARSET_REV, (byte) -1);
    for (int i = 0; i < CHARSET.length(); i++) {
      CHARSET_REV[CHARSET.charAt(i)] = (byte) i;
    }
  }

  private Bech32() {}

  /** A decoded string: the lowercase human-readable part and the data words without the checksum. */
  public record Decoded(String hrp, byte[] words) {}

  /**
   * Decodes and checks a bech32 string of at most {@code charsMax} characters.
   *
   * @throws IllegalArgumentException naming the defect (length, case, separator, character, checksum)
   */
  public static Decoded decode(String text, int charsMax) {
    if (text == null) {
      throw new IllegalArgumentException("bech32 string is missing");
    }
    if (text.length() > charsMax) {
      throw new IllegalArgumentException("bech32 string is " + text.length() + " characters, at most " + charsMax + " allowed");
    }
    boolean lower = false;
    boolean upper = false;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch < 33 || ch > 126) {
        throw new IllegalArgumentException("bech32 string has a character outside US-ASCII 33..126 at position " + i);
      }
      lower |= ch >= 'a' && ch <= 'z';
      upper |= ch >= 'A' && ch <= 'Z';
    }
    if (lower && upper) {
      throw new IllegalArgumentException("bech32 string mixes upper and lower case");
    }
    String normalized = text.toLowerCase(Locale.ROOT);
    int separator = normalized.lastIndexOf('1');
    if (separator < 1) {
      throw new IllegalArgumentException("bech32 string has no human-readable part before a '1' separator");
    }
    if (separator > HRP_CHARS_MAX) {
      throw new IllegalArgumentException("bech32 human-readable part is " + separator + " characters, at most " + HRP_CHARS_MAX);
    }
    int dataChars = normalized.length() - separator - 1;
    if (dataChars < CHECKSUM_WORDS) {
      throw new IllegalArgumentException("bech32 data part is " + dataChars + " characters, shorter than the "
          + CHECKSUM_WORDS + "-character checksum");
    }
    String hrp = normalized.substring(0, separator);
    byte[] values = new byte[dataChars];
    for (int i = 0; i < dataChars; i++) {
      char ch = normalized.charAt(separator + 1 + i);
      byte value = CHARSET_REV[ch];
      if (value < 0) {
        throw new IllegalArgumentException("bech32 data part has invalid character '" + ch + "' at position " + (separator + 1 + i));
      }
      values[i] = value;
    }
    if (polymod(hrp, values, values.length) != CHECKSUM_CONSTANT) {
      throw new IllegalArgumentException("bech32 checksum is invalid");
    }
    return new Decoded(hrp, Arrays.copyOf(values, dataChars - CHECKSUM_WORDS));
  }

  /** Encodes lowercase {@code hrp} and 5-bit {@code words} with a bech32 checksum. */
  public static String encode(String hrp, byte[] words) {
    if (hrp == null || hrp.isEmpty() || hrp.length() > HRP_CHARS_MAX) {
      throw new IllegalArgumentException("bech32 human-readable part must be 1 to " + HRP_CHARS_MAX + " characters");
    }
    for (int i = 0; i < hrp.length(); i++) {
      char ch = hrp.charAt(i);
      if (ch < 33 || ch > 126 || (ch >= 'A' && ch <= 'Z')) {
        throw new IllegalArgumentException("bech32 human-readable part must be lowercase US-ASCII 33..126");
      }
    }
    for (byte word : words) {
      if ((word & ~31) != 0) {
        throw new IllegalArgumentException("bech32 word " + word + " is not a 5-bit value");
      }
    }
    byte[] values = Arrays.copyOf(words, words.length + CHECKSUM_WORDS);
    int checksum = polymod(hrp, values, values.length) ^ CHECKSUM_CONSTANT;
    StringBuilder out = new StringBuilder(hrp.length() + 1 + values.length);
    out.append(hrp).append('1');
    for (byte word : words) {
      out.append(CHARSET.charAt(word));
    }
    for (int i = 0; i < CHECKSUM_WORDS; i++) {
      out.append(CHARSET.charAt((checksum >>> (5 * (CHECKSUM_WORDS - 1 - i))) & 31));
    }
    return out.toString();
  }

  /**
   * Regroups bits: 8-bit bytes to 5-bit words ({@code fromBits = 8, toBits = 5}) or back. With
   * {@code pad}, a trailing partial group is zero-padded; without, leftover bits must be fewer than
   * {@code fromBits} and all zero.
   */
  public static byte[] convertBits(byte[] data, int fromBits, int toBits, boolean pad) {
    int accumulator = 0;
    int bits = 0;
    int maxValue = (1 << toBits) - 1;
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length * fromBits / toBits + 1);
    for (byte b : data) {
      int value = b & 0xff;
      if ((value >>> fromBits) != 0) {
        throw new IllegalArgumentException("value " + value + " does not fit in " + fromBits + " bits");
      }
      accumulator = ((accumulator << fromBits) | value) & ((1 << (fromBits + toBits - 1)) - 1);
      bits += fromBits;
      while (bits >= toBits) {
        bits -= toBits;
        out.write((accumulator >>> bits) & maxValue);
      }
    }
    if (pad) {
      if (bits > 0) {
        out.write((accumulator << (toBits - bits)) & maxValue);
      }
    } else if (bits >= fromBits || ((accumulator << (toBits - bits)) & maxValue) != 0) {
      throw new IllegalArgumentException("bit regrouping leaves " + bits + " non-zero or excess padding bits");
    }
    return out.toByteArray();
  }

  private static int polymod(String hrp, byte[] values, int count) {
    int chk = 1;
    for (int i = 0; i < hrp.length(); i++) {
      chk = step(chk) ^ (hrp.charAt(i) >>> 5);
    }
    chk = step(chk);
    for (int i = 0; i < hrp.length(); i++) {
      chk = step(chk) ^ (hrp.charAt(i) & 31);
    }
    for (int i = 0; i < count; i++) {
      chk = step(chk) ^ values[i];
    }
    return chk;
  }

  private static int step(int pre) {
    int b = pre >>> 25;
    return ((pre & 0x1ffffff) << 5)
        ^ (-((b) & 1) & 0x3b6a57b2)
        ^ (-((b >>> 1) & 1) & 0x26508e6d)
        ^ (-((b >>> 2) & 1) & 0x1ea119fa)
        ^ (-((b >>> 3) & 1) & 0x3d4233dd)
        ^ (-((b >>> 4) & 1) & 0x2a1462b3);
  }
}
