package dev.veilraft.crypto.attestation;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Collateral;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;

/**
 * Test-only: builds structurally valid, correctly signed TDX quotes (v4, v5 with TDX 1.0 or 1.5
 * bodies) under a {@link TdxTestPki}. Every field has a synthetic default; a test changes one field
 * to exercise one check, or corrupts the built bytes after signing. Nothing here comes from real
 * vectors. Not thread-safe; build one quote per builder chain.
 */
final class TdxQuoteBuilder {
  static final byte[] DEFAULT_TEE_TCB_SVN = Hashes.unhex("03000500000000000000000000000000");
  static final byte[] QE_MR_SIGNER = TdxEvidenceVerifier.INTEL_TD_QE_MR_SIGNER;
  static final int QE_ISV_PROD_ID = TdxEvidenceVerifier.INTEL_TD_QE_ISV_PROD_ID;
  static final byte[] QE_ATTRIBUTES = Hashes.unhex("11000000000000000000000000000000");

  private TdxTestPki pki = TdxTestPki.standard();
  private TdxTestPki.Key attestationKey = TdxTestPki.Key.of("attestation key");
  private int version = 4;
  private int bodyType = TdxQuote.BODY_TYPE_TDX_10;
  private byte[] teeTcbSvn = DEFAULT_TEE_TCB_SVN;
  private byte[] teeTcbSvn2 = DEFAULT_TEE_TCB_SVN;
  private byte[] mrSignerSeam = new byte[48];
  private long seamAttributes;
  private long tdAttributes = 0x10000000L; // SEPT_VE_DISABLE, as real TDs set it
  private byte[] mrtd = fill(48, 0x11);
  private byte[] mrConfigId = fill(48, 0x22);
  private byte[][] rtmrs = {fill(48, 0x30), fill(48, 0x31), fill(48, 0x32), fill(48, 0x33)};
  private byte[] reportData = fill(64, 0x44);
  private byte[] mrServiceTd = new byte[48];
  private int qeIsvSvn = 8;
  private byte[] qeMrSigner = QE_MR_SIGNER;
  private int qeIsvProdId = QE_ISV_PROD_ID;
  private byte[] qeAttributes = QE_ATTRIBUTES;
  private byte[] qeAuthData = Hashes.sha256(Hashes.utf8("qe auth data"));
  private boolean pemChainInQuote = true;
  private byte[] trailing = new byte[0];

  TdxQuoteBuilder pki(TdxTestPki value) {
    pki = value;
    return this;
  }

  TdxQuoteBuilder version(int value) {
    version = value;
    return this;
  }

  /** v5 quote with the TDX 1.5 body (648 bytes). */
  TdxQuoteBuilder tdx15() {
    version = 5;
    bodyType = TdxQuote.BODY_TYPE_TDX_15;
    return this;
  }

  TdxQuoteBuilder bodyType(int value) {
    bodyType = value;
    return this;
  }

  TdxQuoteBuilder teeTcbSvn(byte[] value) {
    teeTcbSvn = value.clone();
    return this;
  }

  TdxQuoteBuilder teeTcbSvn2(byte[] value) {
    teeTcbSvn2 = value.clone();
    return this;
  }

  TdxQuoteBuilder mrSignerSeam(byte[] value) {
    mrSignerSeam = value.clone();
    return this;
  }

  TdxQuoteBuilder seamAttributes(long value) {
    seamAttributes = value;
    return this;
  }

  TdxQuoteBuilder tdAttributes(long value) {
    tdAttributes = value;
    return this;
  }

  TdxQuoteBuilder mrtd(byte[] value) {
    mrtd = value.clone();
    return this;
  }

  TdxQuoteBuilder reportData(byte[] value) {
    reportData = value.clone();
    return this;
  }

  /** A quoting enclave other than Intel's TD QE (another signer, product or attributes). */
  TdxQuoteBuilder qeIdentity(byte[] mrSigner, int isvProdId, byte[] attributes) {
    qeMrSigner = mrSigner.clone();
    qeIsvProdId = isvProdId;
    qeAttributes = attributes.clone();
    return this;
  }

  TdxQuoteBuilder qeIsvSvn(int value) {
    qeIsvSvn = value;
    return this;
  }

  TdxQuoteBuilder qeAuthData(byte[] value) {
    qeAuthData = value.clone();
    return this;
  }

  /** Leave the PCK chain out of the quote (nested certification data type 3, encrypted PPID). */
  TdxQuoteBuilder withoutPemChain() {
    pemChainInQuote = false;
    return this;
  }

  TdxQuoteBuilder trailing(byte[] value) {
    trailing = value.clone();
    return this;
  }

  byte[] mrtd() {
    return mrtd.clone();
  }

  byte[] reportData() {
    return reportData.clone();
  }

  byte[] measurement() {
    return Hashes.concat(mrtd, rtmrs[0], rtmrs[1], rtmrs[2], rtmrs[3]);
  }

  byte[] build() {
    ByteArrayOutputStream signed = new ByteArrayOutputStream();
    signed.writeBytes(header());
    byte[] body = body();
    if (version == TdxQuote.VERSION_5) {
      signed.writeBytes(u16(bodyType));
      signed.writeBytes(u32(body.length));
    }
    signed.writeBytes(body);
    byte[] headerAndBody = signed.toByteArray();

    byte[] qeReport = qeReport();
    byte[] nested = pemChainInQuote ? pki.pemChain() : Hashes.unhex("00112233445566778899aabbccddeeff");
    int nestedType = pemChainInQuote ? TdxQuote.CERT_DATA_PCK_CHAIN_PEM : 3;
    byte[] certData = Hashes.concat(qeReport, pki.leafKey.signRaw(qeReport), u16(qeAuthData.length), qeAuthData,
        u16(nestedType), u32(nested.length), nested);
    byte[] signatureData = Hashes.concat(attestationKey.signRaw(headerAndBody), attestationKey.rawPublic(),
        u16(TdxQuote.CERT_DATA_QE_REPORT), u32(certData.length), certData);
    return Hashes.concat(headerAndBody, u32(signatureData.length), signatureData, trailing);
  }

  /** Evidence carrying this quote and {@code collateral}. */
  Evidence evidence(Collateral collateral) {
    return Evidence.newBuilder().setPlatform(Platform.TDX).setReport(ByteString.copyFrom(build()))
        .setCollateral(collateral).build();
  }

  Evidence evidence() {
    return evidence(Collateral.getDefaultInstance());
  }

  /** The chain as DER (leaf, CA, root), for {@code Evidence.cert_chain} when the quote lacks it. */
  List<ByteString> derChain() {
    return List.of(ByteString.copyFrom(TdxTestPki.der(pki.leaf)), ByteString.copyFrom(TdxTestPki.der(pki.ca)),
        ByteString.copyFrom(TdxTestPki.der(pki.root)));
  }

  private byte[] header() {
    byte[] header = new byte[TdxQuote.HEADER_BYTES];
    put(header, 0, u16(version));
    put(header, 2, u16(TdxQuote.ATTESTATION_KEY_TYPE_ECDSA_P256));
    put(header, 4, u32(TdxQuote.TEE_TYPE_TDX));
    put(header, TdxQuote.OFFSET_QE_VENDOR_ID, TdxQuote.INTEL_QE_VENDOR_ID);
    put(header, TdxQuote.OFFSET_USER_DATA, fill(20, 0x5a));
    return header;
  }

  private byte[] body() {
    int size = bodyType == TdxQuote.BODY_TYPE_TDX_15 ? TdxQuote.BODY_TDX_15_BYTES : TdxQuote.BODY_TDX_10_BYTES;
    byte[] body = new byte[size];
    put(body, TdxQuote.BODY_TEE_TCB_SVN, teeTcbSvn);
    put(body, TdxQuote.BODY_MR_SEAM, fill(48, 0x5e));
    put(body, TdxQuote.BODY_MR_SIGNER_SEAM, mrSignerSeam);
    put(body, TdxQuote.BODY_SEAM_ATTRIBUTES, u64(seamAttributes));
    put(body, TdxQuote.BODY_TD_ATTRIBUTES, u64(tdAttributes));
    put(body, TdxQuote.BODY_XFAM, u64(0x61ae7L));
    put(body, TdxQuote.BODY_MRTD, mrtd);
    put(body, TdxQuote.BODY_MR_CONFIG_ID, mrConfigId);
    for (int i = 0; i < rtmrs.length; i++) {
      put(body, TdxQuote.BODY_RTMR0 + 48 * i, rtmrs[i]);
    }
    put(body, TdxQuote.BODY_REPORT_DATA, reportData);
    if (size == TdxQuote.BODY_TDX_15_BYTES) {
      put(body, TdxQuote.BODY_TEE_TCB_SVN2, teeTcbSvn2);
      put(body, TdxQuote.BODY_MR_SERVICE_TD, mrServiceTd);
    }
    return body;
  }

  private byte[] qeReport() {
    byte[] report = new byte[TdxQeReport.BYTES];
    put(report, TdxQeReport.OFFSET_ATTRIBUTES, qeAttributes);
    put(report, TdxQeReport.OFFSET_MR_ENCLAVE, fill(32, 0x7e));
    put(report, TdxQeReport.OFFSET_MR_SIGNER, qeMrSigner);
    put(report, TdxQeReport.OFFSET_ISV_PROD_ID, u16(qeIsvProdId));
    put(report, TdxQeReport.OFFSET_ISV_SVN, u16(qeIsvSvn));
    put(report, TdxQeReport.OFFSET_REPORT_DATA, Hashes.sha256(attestationKey.rawPublic(), qeAuthData));
    return report;
  }

  static byte[] fill(int length, int value) {
    byte[] out = new byte[length];
    Arrays.fill(out, (byte) value);
    return out;
  }

  private static void put(byte[] into, int offset, byte[] value) {
    System.arraycopy(value, 0, into, offset, value.length);
  }

  static byte[] u16(int value) {
    return new byte[] {(byte) value, (byte) (value >>> 8)};
  }

  static byte[] u32(long value) {
    return new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
  }

  private static byte[] u64(long value) {
    return Hashes.concat(u32(value), u32(value >>> 32));
  }
}
