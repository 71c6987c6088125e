package dev.veilraft.crypto.secp256k1;

import static dev.veilraft.crypto.secp256k1.Bolt11Fields.HASH_WORDS;
import static dev.veilraft.crypto.secp256k1.Bolt11Fields.PAYEE_WORDS;
import static dev.veilraft.crypto.secp256k1.Bolt11Fields.SIGNATURE_WORDS;
import static dev.veilraft.crypto.secp256k1.Bolt11Fields.TIMESTAMP_WORDS;
import static dev.veilraft.crypto.secp256k1.Bolt11Fields.typeName;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.bouncycastle.math.ec.ECPoint;

/** Parses and checks a BOLT 11 invoice for {@link Bolt11#decodeWithDetails}. */
final class Bolt11Reader {
  private static final int FIELD_HEADER_WORDS = 3;
  private static final String URI_SCHEME = "lightning:";

  private final BitSet seen = new BitSet(32);
  private byte[] paymentHash;
  private byte[] paymentSecret;
  private String description;
  private byte[] descriptionHash;
  private Long expirySeconds;
  private Long minFinalCltvExpiryDelta;
  private List<Integer> featureBits = List.of();
  private ECPoint payee;

  private Bolt11Reader() {}

  static Bolt11.Decoded read(String text) {
    if (text == null) {
      throw new IllegalArgumentException("invoice is missing");
    }
    if (text.regionMatches(true, 0, URI_SCHEME, 0, URI_SCHEME.length())) {
      throw new IllegalArgumentException("invoice starts with the URI scheme \"lightning:\"; pass the bare invoice");
    }
    Bech32.Decoded bech32 = Bech32.decode(text, Bolt11.INVOICE_CHARS_MAX);
    Bolt11Fields.HumanReadablePart hrp = Bolt11Fields.parseHrp(bech32.hrp());
    byte[] words = bech32.words();
    int signatureStart = words.length - SIGNATURE_WORDS;
    if (signatureStart < TIMESTAMP_WORDS) {
      throw new IllegalArgumentException("invoice data is " + words.length + " words, too short for a "
          + TIMESTAMP_WORDS + "-word timestamp and a " + SIGNATURE_WORDS + "-word signature");
    }
    long timestamp = 0;
    for (int i = 0; i < TIMESTAMP_WORDS; i++) {
      timestamp = (timestamp << 5) | words[i];
    }
    Bolt11Reader reader = new Bolt11Reader();
    reader.readFields(words, signatureStart);
    reader.checkRequiredFields();

    byte[] signedData = Bech32.convertBits(Arrays.copyOf(words, signatureStart), 5, 8, true);
    byte[] hash = Curve.sha256(bech32.hrp().getBytes(StandardCharsets.US_ASCII), signedData);
    byte[] signature = Bech32.convertBits(Arrays.copyOfRange(words, signatureStart, words.length), 5, 8, false);
    ECPoint payeeKey = checkSignature(hash, signature, reader.payee);

    Bolt11.Invoice invoice = new Bolt11.Invoice(hrp.network(), hrp.amountMsat(), timestamp, reader.paymentHash,
        reader.paymentSecret, reader.description,
        reader.expirySeconds == null ? Bolt11.DEFAULT_EXPIRY_SECONDS : reader.expirySeconds, Curve.encode(payeeKey));
    return new Bolt11.Decoded(invoice,
        new Bolt11.Details(reader.descriptionHash, reader.minFinalCltvExpiryDelta, reader.featureBits));
  }

  private void readFields(byte[] words, int end) {
    int position = TIMESTAMP_WORDS;
    while (position < end) {
      if (end - position < FIELD_HEADER_WORDS) {
        throw new IllegalArgumentException("tagged field header at word " + position + " runs into the signature");
      }
      int type = words[position];
      int length = words[position + 1] * 32 + words[position + 2];
      position += FIELD_HEADER_WORDS;
      if (length > end - position) {
        throw new IllegalArgumentException("tagged field " + typeName(type) + " of " + length + " words runs into the signature");
      }
      readField(type, words, position, length);
      position += length;
    }
  }

  private void readField(int type, byte[] words, int from, int length) {
    switch (type) {
      case Bolt11Fields.TYPE_PAYMENT_HASH -> paymentHash = fixed(type, words, from, length, HASH_WORDS, "payment hash");
      case Bolt11Fields.TYPE_PAYMENT_SECRET -> paymentSecret = fixed(type, words, from, length, HASH_WORDS, "payment secret");
      case Bolt11Fields.TYPE_DESCRIPTION_HASH -> descriptionHash = fixed(type, words, from, length, HASH_WORDS, "description hash");
      case Bolt11Fields.TYPE_PAYEE -> {
        byte[] key = fixed(type, words, from, length, PAYEE_WORDS, "payee node key");
        payee = Curve.tryDecode(key);
        if (payee == null) {
          throw new IllegalArgumentException("payee node key (field 'n') is not a point on secp256k1");
        }
      }
      case Bolt11Fields.TYPE_DESCRIPTION -> {
        once(type);
        description = utf8(bytes(words, from, length, "description (field 'd')"));
      }
      case Bolt11Fields.TYPE_EXPIRY -> {
        once(type);
        expirySeconds = Bolt11Fields.readInteger(words, from, length, "expiry (field 'x')");
      }
      case Bolt11Fields.TYPE_MIN_FINAL_CLTV_EXPIRY -> {
        once(type);
        minFinalCltvExpiryDelta = Bolt11Fields.readInteger(words, from, length, "min_final_cltv_expiry_delta (field 'c')");
      }
      case Bolt11Fields.TYPE_FEATURES -> {
        once(type);
        featureBits = Bolt11Fields.readFeatures(words, from, length);
      }
      default -> {
        // 'f' (fallback address), 'r' (route hints), 'm' (metadata) and unknown types: a mint does not
        // route or pay on chain, and BOLT 11 tells readers to skip what they do not use.
      }
    }
  }

  private void once(int type) {
    if (seen.get(type)) {
      throw new IllegalArgumentException("invoice has more than one " + typeName(type) + " field");
    }
    seen.set(type);
  }

  private byte[] fixed(int type, byte[] words, int from, int length, int expectedWords, String what) {
    once(type);
    String named = what + " (field " + typeName(type) + ")";
    if (length != expectedWords) {
      throw new IllegalArgumentException(named + " is " + length + " words, expected " + expectedWords);
    }
    return bytes(words, from, length, named);
  }

  private static byte[] bytes(byte[] words, int from, int length, String what) {
    try {
      return Bech32.convertBits(Arrays.copyOfRange(words, from, from + length), 5, 8, false);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " has non-zero padding bits", e);
    }
  }

  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("description (field 'd') is not valid UTF-8", e);
    }
  }

  private void checkRequiredFields() {
    if (paymentHash == null) {
      throw new IllegalArgumentException("invoice has no payment hash (field 'p')");
    }
    if (paymentSecret == null) {
      throw new IllegalArgumentException("invoice has no payment secret (field 's')");
    }
    if ((description == null) == (descriptionHash == null)) {
      throw new IllegalArgumentException("invoice must have exactly one of description (field 'd') and description hash (field 'h')");
    }
  }

  /** The payee's key: the {@code n} field's (low-S required) or the recovered one (high-S accepted). */
  private static ECPoint checkSignature(byte[] hash, byte[] signature, ECPoint declaredPayee) {
    int recoveryId = signature[64] & 0xff;
    if (recoveryId > 3) {
      throw new IllegalArgumentException("signature recovery id " + recoveryId + " is not 0..3");
    }
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(signature, 0, 32));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, 32, 64));
    if (declaredPayee != null) {
      if (s.compareTo(Curve.HALF_N) > 0) {
        throw new IllegalArgumentException("signature has a high S value, which BOLT 11 refuses when field 'n' is present");
      }
      if (!RecoverableEcdsa.verify(hash, r, s, declaredPayee)) {
        throw new IllegalArgumentException("signature does not verify against the payee node key (field 'n')");
      }
      return declaredPayee;
    }
    ECPoint recovered = RecoverableEcdsa.recover(hash, r, s, recoveryId);
    if (recovered == null) {
      throw new IllegalArgumentException("signature is not recoverable to a public key");
    }
    return recovered;
  }
}
