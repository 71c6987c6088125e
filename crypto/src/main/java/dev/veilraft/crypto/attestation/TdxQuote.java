package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;

/**
 * An Intel TDX DCAP quote, version 4 or 5, with an ECDSA-256 (P-256) attestation key, as laid out
 * in shared/vectors/LAYOUTS.md (integers little-endian). Parsing checks every length field against
 * the bytes that are there, and that the signature data is consumed exactly; bytes after the
 * signature data are padding and ignored. The accessors decode fields from an immutable copy, so
 * what is verified and what is read are the same bytes. Parsing never verifies a signature:
 * {@link TdxEvidenceVerifier} does, in order.
 */
public final class TdxQuote {
  /** Bound on a quote buffer; real quotes are about 5 KiB (8 KiB with padding). */
  public static final int QUOTE_BYTES_MAX = 64 * 1024;
  public static final int VERSION_4 = 4;
  public static final int VERSION_5 = 5;
  public static final int ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
  public static final long TEE_TYPE_TDX = 0x81;
  /** Body type of a v5 quote: TDX 1.0 TD report (584 bytes) or TDX 1.5 (648 bytes). */
  public static final int BODY_TYPE_TDX_10 = 2;
  public static final int BODY_TYPE_TDX_15 = 3;
  public static final int BODY_TDX_10_BYTES = 584;
  public static final int BODY_TDX_15_BYTES = 648;
  /** Certification data type 6: QE report, its signature, QE auth data and nested PCK data. */
  public static final int CERT_DATA_QE_REPORT = 6;
  /** Certification data type 5: PCK leaf, PCK CA and root as concatenated PEM. */
  public static final int CERT_DATA_PCK_CHAIN_PEM = 5;

  static final byte[] INTEL_QE_VENDOR_ID = Hashes.unhex("939a7233f79c4ca9940a0db3957f0607");

  static final int HEADER_BYTES = 48;
  static final int OFFSET_VERSION = 0;
  static final int OFFSET_ATTESTATION_KEY_TYPE = 2;
  static final int OFFSET_TEE_TYPE = 4;
  static final int OFFSET_QE_VENDOR_ID = 12;
  static final int OFFSET_USER_DATA = 28;
  static final int QE_VENDOR_ID_BYTES = 16;
  static final int USER_DATA_BYTES = 20;
  /** v5 only: body type (u16) and body size (u32) between the header and the body. */
  static final int V5_BODY_DESCRIPTOR_BYTES = 6;

  // Body offsets, relative to the start of the TD quote body.
  static final int BODY_TEE_TCB_SVN = 0;
  static final int BODY_MR_SEAM = 16;
  static final int BODY_MR_SIGNER_SEAM = 64;
  static final int BODY_SEAM_ATTRIBUTES = 112;
  static final int BODY_TD_ATTRIBUTES = 120;
  static final int BODY_XFAM = 128;
  static final int BODY_MRTD = 136;
  static final int BODY_MR_CONFIG_ID = 184;
  static final int BODY_MR_OWNER = 232;
  static final int BODY_MR_OWNER_CONFIG = 280;
  static final int BODY_RTMR0 = 328;
  static final int BODY_REPORT_DATA = 520;
  static final int BODY_TEE_TCB_SVN2 = 584;
  static final int BODY_MR_SERVICE_TD = 600;

  static final int TEE_TCB_SVN_BYTES = 16;
  static final int MR_BYTES = 48;
  static final int RTMR_COUNT = 4;
  static final int REPORT_DATA_BYTES = 64;
  /** Raw r||s of an ECDSA P-256 signature, and raw X||Y of a P-256 public key. */
  static final int SIGNATURE_BYTES = 64;
  static final int ATTESTATION_KEY_BYTES = 64;
  static final int CERT_DATA_HEADER_BYTES = 6;
  static final int QE_AUTH_SIZE_BYTES = 2;

  private static final X9ECParameters P256_CURVE = CustomNamedCurves.getByName("secp256r1");
  private static final ECParameterSpec P256 = TdxCertificates.P256;

  private final byte[] bytes;
  private final int version;
  private final int bodyType;
  private final int bodyOffset;
  private final int bodyBytes;
  private final int signatureOffset;
  private final int certDataType;
  private final int qeReportOffset;
  private final int qeAuthOffset;
  private final int qeAuthBytes;
  private final int pckDataType;
  private final int pckDataOffset;
  private final int pckDataBytes;
  private final List<byte[]> pckChainDer;

  private TdxQuote(byte[] bytes, Layout layout) {
    this.bytes = bytes;
    this.version = layout.version;
    this.bodyType = layout.bodyType;
    this.bodyOffset = layout.bodyOffset;
    this.bodyBytes = layout.bodyBytes;
    this.signatureOffset = layout.signatureOffset;
    this.certDataType = layout.certDataType;
    this.qeReportOffset = layout.qeReportOffset;
    this.qeAuthOffset = layout.qeAuthOffset;
    this.qeAuthBytes = layout.qeAuthBytes;
    this.pckDataType = layout.pckDataType;
    this.pckDataOffset = layout.pckDataOffset;
    this.pckDataBytes = layout.pckDataBytes;
    this.pckChainDer = layout.pckChainDer;
  }

  /** Offsets found while parsing; every one is inside the quote. */
  private static final class Layout {
    int version;
    int bodyType;
    int bodyOffset;
    int bodyBytes;
    int signatureOffset;
    int certDataType;
    int qeReportOffset;
    int qeAuthOffset;
    int qeAuthBytes;
    int pckDataType;
    int pckDataOffset;
    int pckDataBytes;
    List<byte[]> pckChainDer = List.of();
    int end;
  }

  /**
   * Reads a quote. Fails with {@link RejectReason#UNSUPPORTED_REPORT_VERSION} for a version other
   * than 4 or 5, {@link RejectReason#UNSUPPORTED_SIGNATURE_ALGORITHM} for an attestation key
   * other than ECDSA P-256, and {@link RejectReason#MALFORMED} for anything else that does not fit.
   */
  public static TdxQuote parse(byte[] quote) throws MalformedReportException {
    if (quote == null) {
      throw malformed("no quote");
    }
    if (quote.length > QUOTE_BYTES_MAX) {
      throw malformed("TDX quote is " + quote.length + " bytes; at most " + QUOTE_BYTES_MAX + " are accepted");
    }
    if (quote.length < HEADER_BYTES) {
      throw malformed("TDX quote is " + quote.length + " bytes, shorter than its " + HEADER_BYTES + "-byte header");
    }
    Layout layout = new Layout();
    readHeader(quote, layout);
    readBody(quote, layout);
    readSignatureData(quote, layout);
    // Keep only what was parsed: trailing padding is neither verified nor exposed.
    return new TdxQuote(Arrays.copyOf(quote, layout.end), layout);
  }

  private static void readHeader(byte[] quote, Layout layout) throws MalformedReportException {
    int version = LittleEndian.u16(quote, OFFSET_VERSION);
    if (version != VERSION_4 && version != VERSION_5) {
      throw new MalformedReportException(RejectReason.UNSUPPORTED_REPORT_VERSION, "TDX quote version " + version
          + " is not supported (versions 4 and 5 are)");
    }
    int keyType = LittleEndian.u16(quote, OFFSET_ATTESTATION_KEY_TYPE);
    if (keyType != ATTESTATION_KEY_TYPE_ECDSA_P256) {
      throw new MalformedReportException(RejectReason.UNSUPPORTED_SIGNATURE_ALGORITHM, "TDX quote attestation key "
          + "type " + keyType + " is not supported (only 2, ECDSA-256 with P-256, is)");
    }
    long teeType = LittleEndian.u32(quote, OFFSET_TEE_TYPE);
    if (teeType != TEE_TYPE_TDX) {
      throw malformed("quote TEE type 0x" + Long.toHexString(teeType) + " is not TDX (0x81)");
    }
    byte[] vendor = Arrays.copyOfRange(quote, OFFSET_QE_VENDOR_ID, OFFSET_QE_VENDOR_ID + QE_VENDOR_ID_BYTES);
    if (!Arrays.equals(vendor, INTEL_QE_VENDOR_ID)) {
      throw malformed("quote QE vendor id " + Hashes.hex(vendor) + " is not Intel's ("
          + Hashes.hex(INTEL_QE_VENDOR_ID) + ")");
    }
    layout.version = version;
  }

  private static void readBody(byte[] quote, Layout layout) throws MalformedReportException {
    if (layout.version == VERSION_4) {
      layout.bodyType = BODY_TYPE_TDX_10;
      layout.bodyOffset = HEADER_BYTES;
      layout.bodyBytes = BODY_TDX_10_BYTES;
    } else {
      require(quote, HEADER_BYTES, V5_BODY_DESCRIPTOR_BYTES, "v5 body type and size");
      int type = LittleEndian.u16(quote, HEADER_BYTES);
      long size = LittleEndian.u32(quote, HEADER_BYTES + 2);
      long expected = type == BODY_TYPE_TDX_10 ? BODY_TDX_10_BYTES : type == BODY_TYPE_TDX_15 ? BODY_TDX_15_BYTES : -1;
      if (expected < 0) {
        throw malformed("v5 quote body type " + type + " is not a TD report (2 = TDX 1.0, 3 = TDX 1.5)");
      }
      if (size != expected) {
        throw malformed("v5 quote body type " + type + " must be " + expected + " bytes, header says " + size);
      }
      layout.bodyType = type;
      layout.bodyOffset = HEADER_BYTES + V5_BODY_DESCRIPTOR_BYTES;
      layout.bodyBytes = (int) size;
    }
    require(quote, layout.bodyOffset, layout.bodyBytes, "TD quote body");
  }

  private static void readSignatureData(byte[] quote, Layout layout) throws MalformedReportException {
    int at = layout.bodyOffset + layout.bodyBytes;
    require(quote, at, 4, "signature data length");
    long signedDataBytes = LittleEndian.u32(quote, at);
    at += 4;
    require(quote, at, signedDataBytes, "signature data");
    int signedDataEnd = at + (int) signedDataBytes;
    layout.signatureOffset = at;
    require(quote, at, SIGNATURE_BYTES + ATTESTATION_KEY_BYTES + CERT_DATA_HEADER_BYTES,
        "signature, attestation key and certification data header", signedDataEnd);
    at += SIGNATURE_BYTES + ATTESTATION_KEY_BYTES;
    layout.certDataType = LittleEndian.u16(quote, at);
    long certDataBytes = LittleEndian.u32(quote, at + 2);
    at += CERT_DATA_HEADER_BYTES;
    if (at + certDataBytes != signedDataEnd) {
      throw malformed("certification data of " + certDataBytes + " bytes does not end where the signature data of "
          + signedDataBytes + " bytes ends");
    }
    if (layout.certDataType != CERT_DATA_QE_REPORT) {
      throw malformed("TDX quote certification data type " + layout.certDataType
          + " is not supported (6 = QE report certification data)");
    }
    readQeReportCertificationData(quote, layout, at, signedDataEnd);
    layout.end = signedDataEnd;
  }

  private static void readQeReportCertificationData(byte[] quote, Layout layout, int start, int end)
      throws MalformedReportException {
    int at = start;
    require(quote, at, TdxQeReport.BYTES + SIGNATURE_BYTES + QE_AUTH_SIZE_BYTES,
        "QE report, its signature and the QE auth data size", end);
    layout.qeReportOffset = at;
    at += TdxQeReport.BYTES + SIGNATURE_BYTES;
    int authBytes = LittleEndian.u16(quote, at);
    at += QE_AUTH_SIZE_BYTES;
    require(quote, at, authBytes, "QE auth data", end);
    layout.qeAuthOffset = at;
    layout.qeAuthBytes = authBytes;
    at += authBytes;
    require(quote, at, CERT_DATA_HEADER_BYTES, "nested certification data header", end);
    layout.pckDataType = LittleEndian.u16(quote, at);
    long pckBytes = LittleEndian.u32(quote, at + 2);
    at += CERT_DATA_HEADER_BYTES;
    if (at + pckBytes != end) {
      throw malformed("nested certification data of " + pckBytes + " bytes does not end where the QE report "
          + "certification data ends (" + (end - at) + " bytes left)");
    }
    layout.pckDataOffset = at;
    layout.pckDataBytes = (int) pckBytes;
    if (layout.pckDataType == CERT_DATA_PCK_CHAIN_PEM) {
      if (pckBytes > TdxPemChain.PEM_BYTES_MAX) {
        throw malformed("PCK certificate chain is " + pckBytes + " bytes; at most " + TdxPemChain.PEM_BYTES_MAX
            + " are accepted");
      }
      layout.pckChainDer = TdxPemChain.decode(Arrays.copyOfRange(quote, at, at + (int) pckBytes));
    }
  }

  /** Fails unless {@code length} bytes from {@code offset} lie inside the quote. */
  private static void require(byte[] quote, int offset, long length, String what) throws MalformedReportException {
    require(quote, offset, length, what, quote.length);
  }

  /** Fails unless {@code length} bytes from {@code offset} lie before {@code limit} (itself inside the quote). */
  private static void require(byte[] quote, int offset, long length, String what, int limit)
      throws MalformedReportException {
    if (length < 0 || offset < 0 || (long) offset + length > limit || limit > quote.length) {
      throw malformed("TDX quote is truncated or a length field is wrong: " + what + " needs " + length
          + " bytes at offset " + offset + ", but only " + Math.max(0, limit - offset) + " are there");
    }
  }

  private static MalformedReportException malformed(String message) {
    return new MalformedReportException(RejectReason.MALFORMED, message);
  }

  // ---- Header ----

  public int version() {
    return version;
  }

  public int attestationKeyType() {
    return LittleEndian.u16(bytes, OFFSET_ATTESTATION_KEY_TYPE);
  }

  public long teeType() {
    return LittleEndian.u32(bytes, OFFSET_TEE_TYPE);
  }

  public byte[] qeVendorId() {
    return slice(OFFSET_QE_VENDOR_ID, QE_VENDOR_ID_BYTES);
  }

  public byte[] userData() {
    return slice(OFFSET_USER_DATA, USER_DATA_BYTES);
  }

  /** {@value #BODY_TYPE_TDX_10} (TDX 1.0, also every v4 quote) or {@value #BODY_TYPE_TDX_15}. */
  public int bodyType() {
    return bodyType;
  }

  public boolean isTdx15() {
    return bodyType == BODY_TYPE_TDX_15;
  }

  // ---- TD quote body ----

  public byte[] teeTcbSvn() {
    return body(BODY_TEE_TCB_SVN, TEE_TCB_SVN_BYTES);
  }

  public byte[] mrSeam() {
    return body(BODY_MR_SEAM, MR_BYTES);
  }

  public byte[] mrSignerSeam() {
    return body(BODY_MR_SIGNER_SEAM, MR_BYTES);
  }

  public long seamAttributes() {
    return LittleEndian.u64(bytes, bodyOffset + BODY_SEAM_ATTRIBUTES);
  }

  /** SEAMATTRIBUTES as stored (8 bytes), compared bytewise with Intel's TDX module identity. */
  public byte[] seamAttributesBytes() {
    return body(BODY_SEAM_ATTRIBUTES, 8);
  }

  public long tdAttributes() {
    return LittleEndian.u64(bytes, bodyOffset + BODY_TD_ATTRIBUTES);
  }

  public boolean debug() {
    // TDATTRIBUTES bit 0: the TD runs in debug mode, so the host can read and write its memory.
    return (tdAttributes() & TdxClaims.TD_ATTRIBUTES_DEBUG_BIT) != 0;
  }

  public long xfam() {
    return LittleEndian.u64(bytes, bodyOffset + BODY_XFAM);
  }

  public byte[] mrtd() {
    return body(BODY_MRTD, MR_BYTES);
  }

  public byte[] mrConfigId() {
    return body(BODY_MR_CONFIG_ID, MR_BYTES);
  }

  public byte[] mrOwner() {
    return body(BODY_MR_OWNER, MR_BYTES);
  }

  public byte[] mrOwnerConfig() {
    return body(BODY_MR_OWNER_CONFIG, MR_BYTES);
  }

  /** RTMR0..RTMR3, 48 bytes each. */
  public List<byte[]> rtmrs() {
    List<byte[]> out = new ArrayList<>(RTMR_COUNT);
    for (int i = 0; i < RTMR_COUNT; i++) {
      out.add(body(BODY_RTMR0 + i * MR_BYTES, MR_BYTES));
    }
    return out;
  }

  public byte[] reportData() {
    return body(BODY_REPORT_DATA, REPORT_DATA_BYTES);
  }

  /** TEE_TCB_SVN2 of a TDX 1.5 body; empty for TDX 1.0. */
  public byte[] teeTcbSvn2() {
    return isTdx15() ? body(BODY_TEE_TCB_SVN2, TEE_TCB_SVN_BYTES) : new byte[0];
  }

  /** MRSERVICETD of a TDX 1.5 body; empty for TDX 1.0. */
  public byte[] mrServiceTd() {
    return isTdx15() ? body(BODY_MR_SERVICE_TD, MR_BYTES) : new byte[0];
  }

  /** MRTD || RTMR0 || RTMR1 || RTMR2 || RTMR3 (240 bytes): the whole launch and runtime measurement. */
  public byte[] measurement() {
    return Hashes.concat(mrtd(), body(BODY_RTMR0, RTMR_COUNT * MR_BYTES));
  }

  // ---- Signature data ----

  /** The bytes the attestation key signs: header and body (v5: with the body type and size). */
  public byte[] signedBytes() {
    return slice(0, bodyOffset + bodyBytes);
  }

  /** The quote signature, raw r||s (64 bytes, big-endian). */
  public byte[] signature() {
    return slice(signatureOffset, SIGNATURE_BYTES);
  }

  /** The attestation public key, raw X||Y on P-256 (64 bytes). */
  public byte[] attestationKey() {
    return slice(signatureOffset + SIGNATURE_BYTES, ATTESTATION_KEY_BYTES);
  }

  public int certificationDataType() {
    return certDataType;
  }

  public TdxQeReport qeReport() {
    return TdxQeReport.of(slice(qeReportOffset, TdxQeReport.BYTES));
  }

  /** The PCK's signature over the QE report, raw r||s. */
  public byte[] qeReportSignature() {
    return slice(qeReportOffset + TdxQeReport.BYTES, SIGNATURE_BYTES);
  }

  public byte[] qeAuthData() {
    return slice(qeAuthOffset, qeAuthBytes);
  }

  /** Type of the certification data nested in the QE report data (5 = PEM PCK chain). */
  public int pckCertificationDataType() {
    return pckDataType;
  }

  public byte[] pckCertificationData() {
    return slice(pckDataOffset, pckDataBytes);
  }

  /** The PCK chain (leaf first) as DER, when the quote carries it as certification data type 5. */
  public Optional<List<byte[]>> pckChainDer() {
    if (pckDataType != CERT_DATA_PCK_CHAIN_PEM) {
      return Optional.empty();
    }
    List<byte[]> copies = new ArrayList<>(pckChainDer.size());
    pckChainDer.forEach(der -> copies.add(der.clone()));
    return Optional.of(copies);
  }

  /** Whether the attestation key signed header and body (ECDSA P-256, SHA-256). */
  public boolean verifySignature() {
    Optional<PublicKey> key = attestationPublicKey();
    return key.isPresent() && TdxCertificates.verifyP1363(key.get(), signature(), bytes, 0, bodyOffset + bodyBytes);
  }

  /** Whether {@code pckKey} signed the 384-byte QE report (ECDSA P-256, SHA-256). */
  public boolean verifyQeReportSignature(PublicKey pckKey) {
    return TdxCertificates.verifyP1363(pckKey, qeReportSignature(), bytes, qeReportOffset, TdxQeReport.BYTES);
  }

  /**
   * Whether the QE report binds the attestation key: its report data must be SHA-256(attestation
   * key || QE auth data) followed by 32 zero bytes. Without this a genuine QE report could vouch for
   * any key.
   */
  public boolean qeReportBindsAttestationKey() {
    byte[] expected = Arrays.copyOf(Hashes.sha256(attestationKey(), qeAuthData()), REPORT_DATA_BYTES);
    return MessageDigest.isEqual(expected, qeReport().reportData());
  }

  /** The attestation key as a P-256 public key; empty when X||Y is not a point on the curve. */
  public Optional<PublicKey> attestationPublicKey() {
    byte[] raw = attestationKey();
    BigInteger x = new BigInteger(1, Arrays.copyOfRange(raw, 0, 32));
    BigInteger y = new BigInteger(1, Arrays.copyOfRange(raw, 32, 64));
    try {
      // JCA does not promise an on-curve check for raw points; Bouncy Castle's validatePoint does.
      P256_CURVE.getCurve().validatePoint(x, y);
      return Optional.of(KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), P256)));
    } catch (GeneralSecurityException | RuntimeException e) {
      return Optional.empty();
    }
  }



  private byte[] body(int relative, int length) {
    return slice(bodyOffset + relative, length);
  }

  private byte[] slice(int offset, int length) {
    return Arrays.copyOfRange(bytes, offset, offset + length);
  }

  @Override
  public String toString() {
    return "TdxQuote{version=" + version + ", bodyType=" + bodyType + ", mrtd=" + Hashes.shortHex(mrtd(), 8)
        + ", teeTcbSvn=" + Hashes.hex(teeTcbSvn()) + "}";
  }
}
