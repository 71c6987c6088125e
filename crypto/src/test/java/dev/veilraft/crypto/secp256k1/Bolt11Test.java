package dev.veilraft.crypto.secp256k1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Examples from lightning/bolts 11-payment-encoding.md (secp256k1/bolt11-examples.txt, see SOURCES.md). */
class Bolt11Test {
  private static final HexFormat HEX = HexFormat.of();
  /** The spec examples' signing key and its public key. */
  static final byte[] SPEC_NODE_SECRET = hex("e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734");
  static final byte[] SPEC_PAYEE = hex("03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad");
  private static final byte[] PAYMENT_HASH = hex("0001020304050607080900010203040506070809000102030405060708090102");
  private static final byte[] PAYMENT_SECRET = hex("1111111111111111111111111111111111111111111111111111111111111111");
  private static final long SPEC_TIMESTAMP = 1496314658L;
  private static final Map<String, String> EXAMPLES = new LinkedHashMap<>();
  private static final Map<String, Boolean> SPEC_VALID = new LinkedHashMap<>();

  @BeforeAll
  static void loadExamples() throws IOException {
    try (InputStream in = Bolt11Test.class.getResourceAsStream("/secp256k1/bolt11-examples.txt")) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] fields = line.split("\\|");
        EXAMPLES.put(fields[0], fields[2]);
        SPEC_VALID.put(fields[0], fields[1].equals("valid"));
      }
    }
    assertThat(EXAMPLES).hasSize(26);
  }

  @Test
  void decodesTheSpecExamplesWithTheirFields() {
    // Proves decode reads network, amount, timestamp, hashes, description, expiry and recovers the payee of the spec examples.
    Bolt11.Invoice donation = Bolt11.decode(EXAMPLES.get("donation"));
    assertThat(donation).isEqualTo(new Bolt11.Invoice("bc", null, SPEC_TIMESTAMP, PAYMENT_HASH, PAYMENT_SECRET,
        "Please consider supporting this project", 3600, SPEC_PAYEE));
    assertThat(Bolt11.decode(EXAMPLES.get("coffee"))).isEqualTo(new Bolt11.Invoice("bc", 250_000_000L, SPEC_TIMESTAMP,
        PAYMENT_HASH, PAYMENT_SECRET, "1 cup coffee", 60, SPEC_PAYEE));
    assertThat(Bolt11.decode(EXAMPLES.get("nonsense")).description()).isEqualTo("ナンセンス 1杯");

    Bolt11.Decoded hashed = Bolt11.decodeWithDetails(EXAMPLES.get("hashed"));
    assertThat(hashed.invoice().amountMsat()).isEqualTo(2_000_000_000L);
    assertThat(hashed.invoice().description()).isNull();
    assertThat(hashed.details().descriptionHash()).isEqualTo(hex("3925b6f67e2c340036ed12093dd44e0368df1b6ea26c53dbe4811f58fd5db8c1"));
    assertThat(hashed.details().featureBits()).containsExactly(8, 14);
    assertThat(hashed.invoice().payeeNodeKey()).isEqualTo(SPEC_PAYEE);

    assertThat(Bolt11.decode(EXAMPLES.get("testnet-fallback")).network()).isEqualTo("tb");
    for (String skipsFallbackOrRoute : List.of("route-hints", "p2sh", "p2wpkh", "p2wsh", "p2tr")) {
      Bolt11.Invoice invoice = Bolt11.decode(EXAMPLES.get(skipsFallbackOrRoute));
      assertThat(invoice.payeeNodeKey()).as(skipsFallbackOrRoute).isEqualTo(SPEC_PAYEE);
      assertThat(invoice.paymentHash()).as(skipsFallbackOrRoute).isEqualTo(PAYMENT_HASH);
    }
  }

  @Test
  void decodesPicoAmountsFeaturesMetadataUppercaseAndHighS() {
    // Proves the pico amount, c field, odd unknown feature 99, metadata skipping, uppercase and high-S recovery examples decode.
    Bolt11.Decoded pico = Bolt11.decodeWithDetails(EXAMPLES.get("pico"));
    assertThat(pico.invoice().amountMsat()).isEqualTo(967_878_534L);
    assertThat(pico.invoice().timestampSeconds()).isEqualTo(1572468703L);
    assertThat(pico.invoice().paymentHash()).isEqualTo(hex("462264ede7e14047e9b249da94fefc47f41f7d02ee9b091815a5506bc8abf75f"));
    assertThat(pico.invoice().description()).isEqualTo("Blockstream Store: 88.85 USD for Blockstream Ledger Nano S x 1,"
        + " \"Back In My Day\" Sticker x 2, \"I Got Lightning Working\" Sticker x 2 and 1 more items");
    assertThat(pico.invoice().expirySeconds()).isEqualTo(604800L);
    assertThat(pico.details().minFinalCltvExpiryDelta()).isEqualTo(10L);

    Bolt11.Decoded features = Bolt11.decodeWithDetails(EXAMPLES.get("features"));
    assertThat(features.invoice().amountMsat()).isEqualTo(2_500_000_000L);
    assertThat(features.invoice().description()).isEqualTo("coffee beans");
    assertThat(features.details().featureBits()).containsExactly(8, 14, 99);
    assertThat(Bolt11.decodeWithDetails(EXAMPLES.get("uppercase"))).isEqualTo(features);

    Bolt11.Decoded metadata = Bolt11.decodeWithDetails(EXAMPLES.get("metadata"));
    assertThat(metadata.invoice().description()).isEqualTo("payment metadata inside");
    assertThat(metadata.details().featureBits()).containsExactly(8, 14, 48);

    // The high-S example keeps the donation's r and recovery id 1 but negates s, so recovery (which must accept
    // high S) yields a different key; 02d0139c... was checked with an independent pure-Python recovery.
    Bolt11.Invoice highS = Bolt11.decode(EXAMPLES.get("high-s-recovery"));
    Bolt11.Invoice donation = Bolt11.decode(EXAMPLES.get("donation"));
    assertThat(highS.payeeNodeKey()).isEqualTo(hex("02d0139ce7427d6dfffd26a326c18be754ef1e64672b42694ba5b23ef6e6e7803d"));
    assertThat(highS).isEqualTo(new Bolt11.Invoice(donation.network(), donation.amountMsat(), donation.timestampSeconds(),
        donation.paymentHash(), donation.paymentSecret(), donation.description(), donation.expirySeconds(), highS.payeeNodeKey()));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "unknown-even-feature | feature bit 100 is required (even) but unknown",
      "bad-checksum | bech32 checksum is invalid",
      "no-separator | no human-readable part before a '1' separator",
      "mixed-case | mixes upper and lower case",
      "not-recoverable | signature is not recoverable to a public key",
      "too-short | too short for a 7-word timestamp and a 104-word signature",
      "bad-multiplier | multiplier 'x' is not m, u, n or p",
      "sub-millisatoshi | is not a whole number of millisatoshis",
      "missing-s | invoice has no payment secret (field 's')",
      // The spec's high-S example also repeats 's', which this reader refuses first (see highSWithPayeeFieldIsRefused).
      "high-s-with-n | invoice has more than one 's' field",
      // Listed as valid by the spec, but it predates bolts#1243, which makes wrong-length p/h/s/n fields fatal.
      "ignored-fields | invoice has more than one 'p' field"})
  void refusesTheSpecInvalidExamplesWithASpecificReason(String id, String reason) {
    // Proves each invalid spec example (and the stale "ignored fields" one) is refused with a message naming the defect.
    assertThat(SPEC_VALID.get(id)).isEqualTo(id.equals("ignored-fields"));
    assertThatThrownBy(() -> Bolt11.decode(EXAMPLES.get(id))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(reason);
  }

  @Test
  void encodeReproducesTheSpecExamplesBitForBit() {
    // Proves encode writes the spec's field order and RFC 6979 low-S signatures: re-encoding yields the identical strings.
    for (String id : List.of("donation", "coffee", "nonsense", "hashed")) {
      Bolt11.Decoded decoded = Bolt11.decodeWithDetails(EXAMPLES.get(id));
      assertThat(Bolt11.encode(decoded.invoice(), decoded.details(), SPEC_NODE_SECRET)).as(id).isEqualTo(EXAMPLES.get(id));
    }
    assertThat(Bolt11.encode(Bolt11.decode(EXAMPLES.get("coffee")), SPEC_NODE_SECRET)).isEqualTo(EXAMPLES.get("coffee"));
  }

  @Test
  void encodeDecodeRoundTripsRandomInvoices() {
    // Proves decode(encode(x)) returns x, with the signer's key as payee, across networks, amounts, texts and details.
    Random random = new Random(11);
    List<String> networks = List.of("bc", "tb", "bcrt", "tbs");
    long[] amounts = {1, 9, 10, 100, 999, 100_000, 123_456_789, 100_000_000_000L, Bolt11.AMOUNT_MSAT_MAX};
    for (int round = 0; round < 40; round++) {
      byte[] secret = SchnorrTest.randomScalar(random);
      Long amount = round % 5 == 0 ? null : amounts[random.nextInt(amounts.length)];
      byte[] hash = randomBytes(random, 32);
      boolean hashed = round % 7 == 3;
      String description = hashed ? null : randomText(random, round == 4 ? 213 : random.nextInt(60));
      long expiry = round % 3 == 0 ? Bolt11.DEFAULT_EXPIRY_SECONDS : random.nextInt(1_000_000);
      Bolt11.Details details = new Bolt11.Details(hashed ? randomBytes(random, 32) : null,
          round % 2 == 0 ? null : (long) random.nextInt(500), round % 4 == 0 ? List.of() : List.of(9, 14, 17, 99, 1001));
      Bolt11.Invoice invoice = new Bolt11.Invoice(networks.get(round % 4), amount, random.nextLong(Bolt11.TIMESTAMP_SECONDS_MAX + 1),
          hash, randomBytes(random, 32), description, expiry, null);

      String encoded = Bolt11.encode(invoice, details, secret);
      Bolt11.Decoded decoded = Bolt11.decodeWithDetails(encoded);

      assertThat(decoded.invoice()).isEqualTo(new Bolt11.Invoice(invoice.network(), amount, invoice.timestampSeconds(), hash,
          invoice.paymentSecret(), description, expiry, Secp256k1.publicKey(secret)));
      assertThat(decoded.details()).isEqualTo(details);
      assertThat(Bolt11.decode(encoded.toUpperCase(java.util.Locale.ROOT))).isEqualTo(decoded.invoice());
    }
  }

  @ParameterizedTest
  @CsvSource({"1, lnbc10p1", "10, lnbc100p1", "100, lnbc1n1", "100000, lnbc1u1", "250000000, lnbc2500u1",
      "100000000, lnbc1m1", "100000000000, lnbc11", "2100000000000000000, lnbc210000001",
      "2099999999999999999, lnbc20999999999999999990p1"})
  void amountsUseTheShortestMultiplier(long msat, String prefix) {
    // Proves encode picks the largest multiplier that keeps the amount whole, and decode reads it back.
    String encoded = Bolt11.encode(invoice("bc", msat, "x"), SPEC_NODE_SECRET);
    assertThat(encoded).startsWith(prefix);
    assertThat(Bolt11.decode(encoded).amountMsat()).isEqualTo(msat);
  }

  @Test
  void payeeFieldIsCheckedAndHighSIsRefusedWithIt() {
    // Proves an 'n' field is used instead of recovery: its key must verify, and a high-S signature is refused with it.
    BigInteger secret = new BigInteger(1, SPEC_NODE_SECRET);
    byte[] otherPayee = Secp256k1.publicKey(hex("0000000000000000000000000000000000000000000000000000000000000007"));
    byte[] body = RawInvoice.body(SPEC_TIMESTAMP, RawInvoice.field('n', Bech32.convertBits(SPEC_PAYEE, 8, 5, true)));

    assertThat(Bolt11.decode(RawInvoice.sign("lnbc", body, secret, false)).payeeNodeKey()).isEqualTo(SPEC_PAYEE);
    assertThatThrownBy(() -> Bolt11.decode(RawInvoice.sign("lnbc", body, secret, true))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("signature has a high S value, which BOLT 11 refuses when field 'n' is present");
    byte[] lying = RawInvoice.body(SPEC_TIMESTAMP, RawInvoice.field('n', Bech32.convertBits(otherPayee, 8, 5, true)));
    assertThatThrownBy(() -> Bolt11.decode(RawInvoice.sign("lnbc", lying, secret, false))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("signature does not verify against the payee node key (field 'n')");
    byte[] recovered = RawInvoice.body(SPEC_TIMESTAMP);
    assertThat(Bolt11.decode(RawInvoice.sign("lnbc", recovered, secret, true)).payeeNodeKey()).as("high-S without n").isEqualTo(SPEC_PAYEE);
  }

  @Test
  void malformedFieldsAreRefusedWithSpecificReasons() {
    // Proves non-minimal integers, invalid UTF-8, bad payee keys, missing p, two descriptions and bad prefixes are refused.
    BigInteger secret = new BigInteger(1, SPEC_NODE_SECRET);
    assertRefused(RawInvoice.sign("lnbc", RawInvoice.body(1, RawInvoice.field('x', new byte[] {0, 1})), secret, false),
        "expiry (field 'x') has a non-minimal length (leading zero words)");
    assertRefused(RawInvoice.sign("lnbc", RawInvoice.body(1, RawInvoice.field('9', new byte[] {0, 1})), secret, false),
        "feature field '9' has a non-minimal length");
    assertRefused(RawInvoice.sign("lnbc", RawInvoice.body(1, RawInvoice.field('9', new byte[] {2, 0, 0, 0})), secret, false),
        "basic_mpp (16/17) is set without its dependency payment_secret");
    byte[] badUtf8 = Bech32.convertBits(new byte[] {(byte) 0xc3, 0x28}, 8, 5, true);
    assertRefused(RawInvoice.sign("lnbc", RawInvoice.bodyWithout('d', 1, RawInvoice.field('d', badUtf8)), secret, false),
        "description (field 'd') is not valid UTF-8");
    assertRefused(RawInvoice.sign("lnbc", RawInvoice.body(1, RawInvoice.field('h', new byte[52])), secret, false),
        "exactly one of description (field 'd') and description hash (field 'h')");
    assertRefused(RawInvoice.sign("lnbc", RawInvoice.body(1, RawInvoice.field('n', new byte[53])), secret, false),
        "payee node key (field 'n') is not a point on secp256k1");
    assertRefused(RawInvoice.sign("lnbc", RawInvoice.bodyWithout('p', 1), secret, false), "no payment hash (field 'p')");
    assertRefused(RawInvoice.sign("lnbc", RawInvoice.body(1, RawInvoice.field('s', new byte[51])), secret, false),
        "more than one 's' field");
    assertRefused(RawInvoice.sign("lnbc", RawInvoice.bodyWithout('s', 1, RawInvoice.field('s', new byte[51])), secret, false),
        "payment secret (field 's') is 51 words, expected 52");
    assertRefused(RawInvoice.sign("lnbc01m", RawInvoice.body(1), secret, false), "is zero or has a leading zero");
    assertRefused(RawInvoice.sign("lnxx", RawInvoice.body(1), secret, false), "names an unknown currency");
    assertRefused(RawInvoice.sign("xxbc", RawInvoice.body(1), secret, false), "does not start with \"ln\"");
    assertRefused(RawInvoice.sign("lnbc999999999999999999999", RawInvoice.body(1), secret, false), "must have 1 to 20 digits");
    assertRefused(RawInvoice.sign("lnbc99999999999999999990p", RawInvoice.body(1), secret, false), "exceeds 2100000000000000000 msat");
    assertRefused(RawInvoice.sign("lnbc21000001", RawInvoice.body(1), secret, false), "exceeds 2100000000000000000 msat");
    assertRefused("lnbc1" + "q".repeat(Bolt11.INVOICE_CHARS_MAX), "at most 7089 allowed");
    assertRefused(null, "invoice is missing");
    assertRefused("LIGHTNING:" + EXAMPLES.get("uppercase"), "pass the bare invoice");
  }

  @Test
  void encodeRefusesInvalidInvoices() {
    // Proves encode validates every field and names the bad one.
    assertThatThrownBy(() -> Bolt11.encode(invoice("xx", 1L, "d"), SPEC_NODE_SECRET)).hasMessageContaining("network 'xx'");
    assertThatThrownBy(() -> Bolt11.encode(invoice("bc", 0L, "d"), SPEC_NODE_SECRET)).hasMessageContaining("amountMsat 0 must be 1 to");
    assertThatThrownBy(() -> Bolt11.encode(invoice("bc", 1L, null), SPEC_NODE_SECRET)).hasMessageContaining("description is missing");
    assertThatThrownBy(() -> Bolt11.encode(invoice("bc", 1L, "é".repeat(320)), SPEC_NODE_SECRET))
        .hasMessage("description is 640 UTF-8 bytes, at most 639 fit a tagged field");
    assertThatThrownBy(() -> Bolt11.encode(invoice("bc", 1L, "d"), new Bolt11.Details(new byte[32], null, List.of()), SPEC_NODE_SECRET))
        .hasMessageContaining("description and descriptionHash are both set");
    assertThatThrownBy(() -> Bolt11.encode(invoice("bc", 1L, "d"), new Bolt11.Details(null, null, List.of(100)), SPEC_NODE_SECRET))
        .hasMessage("feature bit 100 is required (even) but unknown");
    assertThatThrownBy(() -> Bolt11.encode(invoice("bc", 1L, "d"), new byte[32])).hasMessageStartingWith("nodeSecret is not a valid");
    Bolt11.Invoice badHash = new Bolt11.Invoice("bc", 1L, 0, new byte[31], PAYMENT_SECRET, "d", 3600, null);
    assertThatThrownBy(() -> Bolt11.encode(badHash, SPEC_NODE_SECRET)).hasMessage("paymentHash is 31 bytes, expected 32");
    Bolt11.Invoice badTime = new Bolt11.Invoice("bc", 1L, -1, PAYMENT_HASH, PAYMENT_SECRET, "d", 3600, null);
    assertThatThrownBy(() -> Bolt11.encode(badTime, SPEC_NODE_SECRET)).hasMessageContaining("timestampSeconds -1 is outside");
    String longest = Bolt11.encode(invoice("bc", 1L, "x".repeat(Bolt11.DESCRIPTION_BYTES_MAX)), SPEC_NODE_SECRET);
    assertThat(Bolt11.decode(longest).description()).hasSize(Bolt11.DESCRIPTION_BYTES_MAX);
  }

  @Test
  void toStringLeavesOutThePaymentSecret() {
    // Proves an invoice logged by mistake does not print its payment secret.
    assertThat(Bolt11.decode(EXAMPLES.get("donation")).toString()).contains("0001020304").doesNotContain("1111111111");
  }

  private static void assertRefused(String invoice, String reason) {
    assertThatThrownBy(() -> Bolt11.decode(invoice)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(reason);
  }

  private static Bolt11.Invoice invoice(String network, Long msat, String description) {
    return new Bolt11.Invoice(network, msat, SPEC_TIMESTAMP, PAYMENT_HASH, PAYMENT_SECRET, description, 3600, null);
  }

  private static byte[] randomBytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static String randomText(Random random, int codePoints) {
    StringBuilder text = new StringBuilder();
    String alphabet = "abc xyz 0123 ナンセンス 杯 € ü \"'\\";
    for (int i = 0; i < codePoints; i++) {
      text.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return text.toString();
  }

  static byte[] hex(String hex) {
    return HEX.parseHex(hex);
  }

  /** Builds raw invoices field by field, for inputs the writer would refuse to produce. */
  static final class RawInvoice {
    private static final String CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

    static byte[] field(char type, byte[] words) {
      byte[] out = new byte[3 + words.length];
      out[0] = (byte) CHARSET.indexOf(type);
      out[1] = (byte) (words.length >>> 5);
      out[2] = (byte) (words.length & 31);
      System.arraycopy(words, 0, out, 3, words.length);
      return out;
    }

    /** Timestamp, valid p, s and d fields, then {@code extra}. */
    static byte[] body(long timestamp, byte[]... extra) {
      return bodyWithout(' ', timestamp, extra);
    }

    static byte[] bodyWithout(char omitted, long timestamp, byte[]... extra) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int i = 6; i >= 0; i--) {
        out.write((int) (timestamp >>> (5 * i)) & 31);
      }
      if (omitted != 'p') {
        out.writeBytes(field('p', Bech32.convertBits(PAYMENT_HASH, 8, 5, true)));
      }
      if (omitted != 's') {
        out.writeBytes(field('s', Bech32.convertBits(PAYMENT_SECRET, 8, 5, true)));
      }
      if (omitted != 'd') {
        out.writeBytes(field('d', Bech32.convertBits("test".getBytes(StandardCharsets.UTF_8), 8, 5, true)));
      }
      for (byte[] field : extra) {
        out.writeBytes(field);
      }
      return out.toByteArray();
    }

    static String sign(String hrp, byte[] body, BigInteger secret, boolean highS) {
      byte[] hash = Curve.sha256(hrp.getBytes(StandardCharsets.US_ASCII), Bech32.convertBits(body, 5, 8, true));
      byte[] signature = RecoverableEcdsa.sign(hash, secret);
      if (highS) {
        BigInteger s = Curve.N.subtract(new BigInteger(1, java.util.Arrays.copyOfRange(signature, 32, 64)));
        System.arraycopy(Curve.bytes32(s), 0, signature, 32, 32);
        signature[64] ^= 1;
      }
      ByteArrayOutputStream words = new ByteArrayOutputStream();
      words.writeBytes(body);
      words.writeBytes(Bech32.convertBits(signature, 8, 5, true));
      return Bech32.encode(hrp, words.toByteArray());
    }
  }
}
