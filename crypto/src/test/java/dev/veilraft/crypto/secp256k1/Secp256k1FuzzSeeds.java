package dev.veilraft.crypto.secp256k1;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fuzz seeds of {@link Bolt11FuzzTest} and {@link PointDecodingFuzzTest}, built by this package
 * from fixed synthetic keys: a few valid shapes for the fuzzer to mutate. {@link FuzzSeedsTest}
 * checks the committed files equal these and rewrites them when run with {@code
 * -Dveilraft.regenerateSeeds=true}.
 */
final class Secp256k1FuzzSeeds {
  static final String BOLT11_DIRECTORY = "Bolt11FuzzTestInputs/decoderThrowsOnlyIllegalArgument";
  static final String POINTS_DIRECTORY = "PointDecodingFuzzTestInputs/decodersThrowOnlyIllegalArgument";
  private static final byte[] NODE_SECRET = Curve.bytes32(BigInteger.valueOf(0x5eed));
  private static final byte[] HASH = Curve.sha256("payment".getBytes(StandardCharsets.US_ASCII));
  private static final byte[] SECRET = Curve.sha256("secret".getBytes(StandardCharsets.US_ASCII));

  private Secp256k1FuzzSeeds() {}

  static Map<String, Map<String, byte[]>> all() {
    return Map.of(BOLT11_DIRECTORY, bolt11(), POINTS_DIRECTORY, points());
  }

  static Map<String, byte[]> bolt11() {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    seeds.put("regtest-amount", ascii(Bolt11.encode(
        new Bolt11.Invoice("bcrt", 21_000L, 1_700_000_000L, HASH, SECRET, "mint quote", 600, null), NODE_SECRET)));
    seeds.put("mainnet-no-amount-details", ascii(Bolt11.encode(
        new Bolt11.Invoice("bc", null, 1_700_000_000L, HASH, SECRET, null, 3600, null),
        new Bolt11.Details(SECRET, 144L, List.of(9, 14, 17, 99)), NODE_SECRET)));
    seeds.put("signet-pico-uppercase", ascii(Bolt11.encode(
        new Bolt11.Invoice("tbs", 1_234_567L, 1L, HASH, SECRET, "ナンセンス", 1, null), NODE_SECRET).toUpperCase(Locale.ROOT)));
    seeds.put("testnet-long-description", ascii(Bolt11.encode(
        new Bolt11.Invoice("tb", 100_000_000_000L, 0L, HASH, SECRET, "x".repeat(300), 86_400, null), NODE_SECRET)));
    return seeds;
  }

  /** Seeds laid out as {@link PointDecodingFuzzTest} slices them: K, B_, C_ (33 each), e, s (32 each), then a message. */
  static Map<String, byte[]> points() {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    byte[] k = Curve.bytes32(BigInteger.valueOf(0xc0ffee));
    byte[] mintKey = Secp256k1.publicKey(k);
    byte[] blinded = CashuBdhke.blind(SECRET, Curve.bytes32(BigInteger.valueOf(0xb1d)));
    byte[] blindSignature = CashuBdhke.sign(k, blinded);
    CashuBdhke.Dleq dleq = CashuBdhke.proveDleq(k, blinded, blindSignature);
    seeds.put("valid-dleq", concat(mintKey, blinded, blindSignature, dleq.e(), dleq.s(), HASH));
    byte[] message = "nostr event id".getBytes(StandardCharsets.US_ASCII);
    byte[] schnorr = Schnorr.sign(k, message, new byte[32]);
    seeds.put("valid-schnorr", concat(Schnorr.xOnlyPublicKey(k), schnorr, message));
    seeds.put("generator", Secp256k1.publicKey(Curve.bytes32(BigInteger.ONE)));
    byte[] offCurve = new byte[33];
    offCurve[0] = 0x02;
    offCurve[32] = 5;
    seeds.put("off-curve", offCurve);
    return seeds;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] out = new byte[length];
    int offset = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, offset, part.length);
      offset += part.length;
    }
    return out;
  }
}
