package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.Hashes;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The TDX quote parser on synthetic quotes from {@link TdxQuoteBuilder}: layout, bounds and strictness. */
class TdxQuoteTest {
  /** v4 offsets of the length fields a forger would bend. */
  static final int SIGNED_DATA_LENGTH = 0x278;
  static final int CERT_DATA_TYPE = SIGNED_DATA_LENGTH + 4 + 64 + 64;
  static final int CERT_DATA_SIZE = CERT_DATA_TYPE + 2;
  static final int QE_REPORT = CERT_DATA_TYPE + 6;
  static final int QE_AUTH_SIZE = QE_REPORT + TdxQeReport.BYTES + 64;

  static MalformedReportException parseFails(byte[] quote) {
    try {
      TdxQuote.parse(quote);
    } catch (MalformedReportException e) {
      return e;
    }
    throw new AssertionError("quote of " + quote.length + " bytes parsed");
  }

  static byte[] withU32(byte[] quote, int offset, long value) {
    byte[] copy = quote.clone();
    System.arraycopy(TdxQuoteBuilder.u32(value), 0, copy, offset, 4);
    return copy;
  }

  static byte[] withU16(byte[] quote, int offset, int value) {
    byte[] copy = quote.clone();
    System.arraycopy(TdxQuoteBuilder.u16(value), 0, copy, offset, 2);
    return copy;
  }

  @Test
  void aBuiltV4QuoteParsesToTheFieldsItWasBuiltWith() throws Exception {
    // Proves the v4 layout: header, TD 1.0 body fields at LAYOUTS.md offsets, signature data and the nested PEM chain.
    TdxQuoteBuilder builder = new TdxQuoteBuilder().tdAttributes(0x10000001L);
    TdxQuote quote = TdxQuote.parse(builder.build());

    assertThat(quote.version()).isEqualTo(4);
    assertThat(quote.bodyType()).isEqualTo(TdxQuote.BODY_TYPE_TDX_10);
    assertThat(quote.teeType()).isEqualTo(0x81);
    assertThat(quote.qeVendorId()).isEqualTo(TdxQuote.INTEL_QE_VENDOR_ID);
    assertThat(quote.teeTcbSvn()).isEqualTo(TdxQuoteBuilder.DEFAULT_TEE_TCB_SVN);
    assertThat(quote.mrtd()).isEqualTo(builder.mrtd());
    assertThat(quote.reportData()).isEqualTo(builder.reportData());
    assertThat(quote.measurement()).isEqualTo(builder.measurement()).hasSize(240);
    assertThat(quote.debug()).isTrue();
    assertThat(quote.teeTcbSvn2()).isEmpty();
    assertThat(quote.signedBytes()).hasSize(48 + 584);
    assertThat(quote.pckChainDer()).hasValueSatisfying(chain -> assertThat(chain).hasSize(3));
    assertThat(quote.verifySignature()).isTrue();
    assertThat(quote.qeReportBindsAttestationKey()).isTrue();
    assertThat(quote.qeReport().isvSvn()).isEqualTo(8);
  }

  @Test
  void v5QuotesCarryTheirBodyTypeAndTheTdx15Fields() throws Exception {
    // Proves v5 quotes with body type 2 (584 B) and 3 (648 B) parse, sign over the type and size, and expose TEE_TCB_SVN2.
    byte[] svn2 = Hashes.unhex("0d010400000000000000000000000000");
    TdxQuote tdx10 = TdxQuote.parse(new TdxQuoteBuilder().version(5).build());
    TdxQuote tdx15 = TdxQuote.parse(new TdxQuoteBuilder().tdx15().teeTcbSvn2(svn2).build());

    assertThat(tdx10.version()).isEqualTo(5);
    assertThat(tdx10.bodyType()).isEqualTo(TdxQuote.BODY_TYPE_TDX_10);
    assertThat(tdx10.signedBytes()).hasSize(48 + 6 + 584);
    assertThat(tdx10.verifySignature()).isTrue();
    assertThat(tdx15.isTdx15()).isTrue();
    assertThat(tdx15.signedBytes()).hasSize(48 + 6 + 648);
    assertThat(tdx15.teeTcbSvn2()).isEqualTo(svn2);
    assertThat(tdx15.mrServiceTd()).hasSize(48);
    assertThat(tdx15.verifySignature()).isTrue();
  }

  @Test
  void everyTruncationIsMalformed() {
    // Proves no prefix of a valid quote parses: every length is checked before use (and nothing else is thrown).
    byte[] quote = new TdxQuoteBuilder().build();
    for (int length = 0; length < quote.length; length++) {
      MalformedReportException e = parseFails(Arrays.copyOf(quote, length));

      assertThat(e.reason()).as("length %d: %s", length, e.getMessage()).isEqualTo(RejectReason.MALFORMED);
    }
  }

  @Test
  void garbageLengthFieldsAreMalformed() {
    // Proves lengths pointing past the end, or not ending where their container ends, are MALFORMED, not exceptions.
    byte[] quote = new TdxQuoteBuilder().build();
    int authBytes = LittleEndian.u16(quote, QE_AUTH_SIZE);
    int nestedSize = QE_AUTH_SIZE + 2 + authBytes + 2;
    List<byte[]> bent = List.of(
        withU32(quote, SIGNED_DATA_LENGTH, 0xFFFFFFFFL),
        withU32(quote, SIGNED_DATA_LENGTH, LittleEndian.u32(quote, SIGNED_DATA_LENGTH) - 1),
        withU32(quote, CERT_DATA_SIZE, 0x7FFFFFFFL),
        withU32(quote, CERT_DATA_SIZE, LittleEndian.u32(quote, CERT_DATA_SIZE) + 1),
        withU16(quote, QE_AUTH_SIZE, 0xFFFF),
        withU16(quote, QE_AUTH_SIZE, authBytes + 1),
        withU32(quote, nestedSize, 0xFFFFFFFFL),
        withU32(quote, nestedSize, 3));
    for (int i = 0; i < bent.size(); i++) {
      assertThat(parseFails(bent.get(i)).reason()).as("case %d", i).isEqualTo(RejectReason.MALFORMED);
    }
  }

  @Test
  void v5BodyDescriptorsMustNameATdReportOfItsSize() {
    // Proves a v5 body type other than 2 or 3, or a size that does not fit the type, is MALFORMED.
    byte[] quote = new TdxQuoteBuilder().version(5).build();

    assertThat(parseFails(withU16(quote, 48, 1)).getMessage()).contains("body type 1");
    assertThat(parseFails(withU32(quote, 50, 648)).getMessage()).contains("must be 584 bytes");
    assertThat(parseFails(withU32(quote, 50, 0xFFFFFFFFL)).reason()).isEqualTo(RejectReason.MALFORMED);
  }

  @Test
  void headerFieldsOutsideTheSupportedSetAreRefusedWithTheirReason() {
    // Proves version 3 is UNSUPPORTED_REPORT_VERSION, key type 3 UNSUPPORTED_SIGNATURE_ALGORITHM, SGX TEE type and another vendor MALFORMED.
    byte[] quote = new TdxQuoteBuilder().build();
    byte[] vendor = quote.clone();
    vendor[TdxQuote.OFFSET_QE_VENDOR_ID] ^= 1;

    assertThat(parseFails(withU16(quote, 0, 3)).reason()).isEqualTo(RejectReason.UNSUPPORTED_REPORT_VERSION);
    assertThat(parseFails(withU16(quote, 0, 6)).getMessage()).contains("version 6");
    assertThat(parseFails(withU16(quote, 2, 3)).reason()).isEqualTo(RejectReason.UNSUPPORTED_SIGNATURE_ALGORITHM);
    assertThat(parseFails(withU32(quote, 4, 0)).getMessage()).contains("TEE type 0x0");
    assertThat(parseFails(vendor).getMessage()).contains("vendor id");
  }

  @Test
  void onlyQeReportCertificationDataIsAccepted() {
    // Proves top-level certification data other than type 6 (e.g. a bare PCK chain, type 5) is MALFORMED.
    byte[] quote = withU16(new TdxQuoteBuilder().build(), CERT_DATA_TYPE, TdxQuote.CERT_DATA_PCK_CHAIN_PEM);

    assertThat(parseFails(quote).getMessage()).contains("certification data type 5");
  }

  @Test
  void quotesAboveTheBoundAreRefusedBeforeParsing() {
    // Proves a buffer over QUOTE_BYTES_MAX is MALFORMED even when it starts with a valid quote.
    byte[] quote = Arrays.copyOf(new TdxQuoteBuilder().build(), TdxQuote.QUOTE_BYTES_MAX + 1);

    assertThat(parseFails(quote).getMessage()).contains("at most " + TdxQuote.QUOTE_BYTES_MAX);
  }

  @Test
  void trailingBytesAreIgnoredAndNotKept() throws Exception {
    // Proves padding after the signature data parses to the same quote and is not part of what is verified.
    TdxQuoteBuilder builder = new TdxQuoteBuilder();
    TdxQuote plain = TdxQuote.parse(builder.build());
    TdxQuote padded = TdxQuote.parse(builder.trailing("extra bytes".getBytes(StandardCharsets.US_ASCII)).build());

    assertThat(padded.signedBytes()).isEqualTo(plain.signedBytes());
    assertThat(padded.verifySignature()).isTrue();
  }

  @Test
  void pemChainsAreDecodedStrictly() throws Exception {
    // Proves the nested PEM chain allows whitespace and trailing NULs only, valid base64, and at most three certificates.
    byte[] pem = TdxTestPki.standard().pemChain();
    String text = new String(pem, StandardCharsets.US_ASCII).replace("\0", "");

    assertThat(TdxPemChain.decode(pem)).hasSize(3);
    assertThat(TdxPemChain.decode(("\r\n" + text + "\n\n\0\0").getBytes(StandardCharsets.US_ASCII)))
        .hasSize(3);
    assertThatThrownBy(() -> TdxPemChain.decode(("junk" + text).getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(MalformedReportException.class).hasMessageContaining("other than PEM");
    assertThatThrownBy(() -> TdxPemChain.decode(text.replaceFirst("MII", "M*I")
        .getBytes(StandardCharsets.US_ASCII))).hasMessageContaining("base64");
    assertThatThrownBy(() -> TdxPemChain.decode((text + text).getBytes(StandardCharsets.US_ASCII)))
        .hasMessageContaining("more than 3");
    assertThatThrownBy(() -> TdxPemChain.decode(text.substring(0, text.length() - 30)
        .getBytes(StandardCharsets.US_ASCII))).hasMessageContaining("no END line");
    assertThatThrownBy(() -> TdxPemChain.decode(new byte[] {0, 0})).hasMessageContaining("no PEM");
  }

  @Test
  void anAttestationKeyOffTheCurveNeverVerifies() throws Exception {
    // Proves a raw attestation key that is not a P-256 point is rejected before any signature math.
    byte[] quote = new TdxQuoteBuilder().build();
    int key = SIGNED_DATA_LENGTH + 4 + 64;
    Arrays.fill(quote, key, key + 64, (byte) 0x01);

    TdxQuote parsed = TdxQuote.parse(quote);

    assertThat(parsed.attestationPublicKey()).isEmpty();
    assertThat(parsed.verifySignature()).isFalse();
  }
}
