package dev.veilraft.crypto.attestation;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INSECURE: the simulated TDX TEE's attester. It writes an Intel DCAP TDX quote in the real
 * layout (version 4, or 5 with a TDX 1.5 body): header, TD quote body (TEE_TCB_SVN, MRSEAM, TD
 * attributes, XFAM, MRTD, MRCONFIGID, RTMR0..3, REPORTDATA, ...), an ECDSA P-256 signature by the
 * quoting enclave's attestation key, and certification data type 6: the quoting enclave's SGX
 * report signed by the machine's PCK key, whose report data is SHA-256(attestation key || QE
 * auth data) || zeros as Intel specifies, and the PCK chain (PCK, PCK CA, root) as PEM. The
 * quoting enclave claims Intel's TD QE identity (MRSIGNER, ISVPRODID 2, not debug). All keys are
 * files or memory on the host, which can forge any quote: evidence is labelled
 * {@link Platform#SIMULATED_TDX}, its header's user data reads "SIMULATED veilraft", and every
 * policy refuses it unless it allows simulation.
 *
 * <p>The measurement is MRTD || RTMR0..3 (240 bytes), as for real TDX;
 * {@link #measurementOfCode} places the simulated code measurement in MRTD.
 */
public final class SimulatedTdxAttester implements Attester {
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedTdxAttester.class);
  private static final AtomicBoolean WARNED = new AtomicBoolean();
  /** TDATTRIBUTES with only SEPT_VE_DISABLE (bit 28) set, as production TDs launch; debug (bit 0) off. */
  public static final long TD_ATTRIBUTES_DEFAULT = 0x10000000L;
  public static final int QUOTE_VERSION_DEFAULT = TdxQuote.VERSION_4;
  /** XFAM of a typical TD (x87, SSE, AVX, AVX-512, PKRU state). */
  static final long XFAM = 0x602e7L;
  /** The header's 20 bytes of user data: free for the quoting library, here a label a hex dump shows. */
  static final byte[] USER_DATA = Arrays.copyOf("SIMULATED veilraft".getBytes(StandardCharsets.US_ASCII),
      TdxQuote.USER_DATA_BYTES);
  /** MRSEAM of the simulated TDX module. */
  static final byte[] MR_SEAM = Hashes.sha384(Hashes.utf8("veilraft simulated TDX module (INSECURE)"));
  /** MRENCLAVE of the simulated quoting enclave. */
  static final byte[] QE_MR_ENCLAVE = Hashes.sha256(Hashes.utf8("veilraft simulated TD quoting enclave (INSECURE)"));
  /** SGX ATTRIBUTES of the quoting enclave: INIT and MODE64BIT, not DEBUG. */
  static final byte[] QE_ATTRIBUTES = Hashes.unhex("11000000000000000000000000000000");
  static final int QE_ISV_SVN = 8;
  private static final int QE_AUTH_DATA_BYTES = 32;
  /** Header fields the verifier does not read (the QE identity and PCK carry them signed). */
  private static final int HEADER_QE_SVN_OFFSET = 8;
  private static final int HEADER_PCE_SVN_OFFSET = 10;
  private static final int COORDINATE_BYTES = 32;
  private static final int MR_BYTES = TdxQuote.MR_BYTES;

  private final SimulatedTdxMachine machine;
  private final byte[] mrtd;
  private final byte[][] rtmrs;
  private final byte[] mrConfigId;
  private final long tdAttributes;
  private final byte[] teeTcbSvn;
  private final int quoteVersion;

  private SimulatedTdxAttester(Builder b) {
    this.machine = b.machine;
    this.mrtd = Arrays.copyOfRange(b.measurement, 0, MR_BYTES);
    this.rtmrs = new byte[TdxQuote.RTMR_COUNT][];
    for (int i = 0; i < TdxQuote.RTMR_COUNT; i++) {
      rtmrs[i] = Arrays.copyOfRange(b.measurement, MR_BYTES * (i + 1), MR_BYTES * (i + 2));
    }
    this.mrConfigId = b.mrConfigId;
    this.tdAttributes = b.tdAttributes;
    this.teeTcbSvn = b.teeTcbSvn;
    this.quoteVersion = b.quoteVersion;
    if (WARNED.compareAndSet(false, true)) {
      LOG.warn("attesting with a SIMULATED TDX TEE: INSECURE, evidence is labelled SIMULATED_TDX and refused "
          + "by every policy that does not allow simulation");
    }
  }

  /** An attester with the defaults: quote v4, TDATTRIBUTES SEPT_VE_DISABLE, zero MRCONFIGID, the machine's TCB. */
  public static SimulatedTdxAttester create(SimulatedTdxMachine machine, byte[] measurement) {
    return builder(machine, measurement).build();
  }

  /** Options for an attester reporting {@code measurement} = MRTD || RTMR0..3 (240 bytes). */
  public static Builder builder(SimulatedTdxMachine machine, byte[] measurement) {
    return new Builder(machine, measurement);
  }

  /**
   * The 240-byte TDX measurement of a simulated TD running the code whose
   * {@link CodeMeasurement} is {@code codeMeasurement} (48 bytes): MRTD = that measurement, RTMR0..3
   * all zero (nothing is extended at run time). A policy allows it like any TDX measurement.
   */
  public static byte[] measurementOfCode(byte[] codeMeasurement) {
    Check.length(codeMeasurement, MR_BYTES, "code measurement");
    return Arrays.copyOf(codeMeasurement, PlatformFormat.TDX.measurementBytes());
  }

  @Override
  public Platform platform() {
    return Platform.SIMULATED_TDX;
  }

  /** MRTD || RTMR0..3, 240 bytes. */
  @Override
  public byte[] measurement() {
    return Hashes.concat(mrtd, rtmrs[0], rtmrs[1], rtmrs[2], rtmrs[3]);
  }

  /** The machine whose PCK endorses this attester's quoting enclave. */
  public SimulatedTdxMachine machine() {
    return machine;
  }

  /** Writes and signs a fresh quote carrying {@code reportData}; thread-safe. */
  @Override
  public Evidence attest(byte[] reportData) throws AttestationException {
    if (reportData == null || reportData.length != ReportData.BYTES) {
      throw new AttestationException("report data must be " + ReportData.BYTES + " bytes, got "
          + (reportData == null ? "none" : reportData.length));
    }
    byte[] quote;
    try {
      quote = quote(reportData);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new AttestationException("simulated TDX TEE could not sign its quote: " + e.getMessage(), e);
    }
    return Evidence.newBuilder().setPlatform(Platform.SIMULATED_TDX).setReport(ByteString.copyFrom(quote)).build();
  }

  private byte[] quote(byte[] reportData) throws GeneralSecurityException {
    ByteArrayOutputStream signed = new ByteArrayOutputStream();
    signed.writeBytes(header());
    byte[] body = body(reportData);
    if (quoteVersion == TdxQuote.VERSION_5) {
      signed.writeBytes(u16(TdxQuote.BODY_TYPE_TDX_15));
      signed.writeBytes(u32(body.length));
    }
    signed.writeBytes(body);
    byte[] headerAndBody = signed.toByteArray();

    byte[] attestationKey = rawPublicKey((ECPublicKey) machine.attestationKey().getPublic());
    byte[] qeAuthData = new byte[QE_AUTH_DATA_BYTES];
    for (int i = 0; i < qeAuthData.length; i++) {
      qeAuthData[i] = (byte) i; // What Intel's quoting enclave sends: bytes 0..31.
    }
    byte[] qeReport = qeReport(Hashes.sha256(attestationKey, qeAuthData));
    byte[] pem = pemChain();
    byte[] certificationData = Hashes.concat(qeReport, signRaw(machine.pckKey(), qeReport), u16(qeAuthData.length),
        qeAuthData, u16(TdxQuote.CERT_DATA_PCK_CHAIN_PEM), u32(pem.length), pem);
    byte[] signatureData = Hashes.concat(signRaw(machine.attestationKey().getPrivate(), headerAndBody),
        attestationKey, u16(TdxQuote.CERT_DATA_QE_REPORT), u32(certificationData.length), certificationData);
    return Hashes.concat(headerAndBody, u32(signatureData.length), signatureData);
  }

  private byte[] header() {
    byte[] header = new byte[TdxQuote.HEADER_BYTES];
    put(header, TdxQuote.OFFSET_VERSION, u16(quoteVersion));
    put(header, TdxQuote.OFFSET_ATTESTATION_KEY_TYPE, u16(TdxQuote.ATTESTATION_KEY_TYPE_ECDSA_P256));
    put(header, TdxQuote.OFFSET_TEE_TYPE, u32(TdxQuote.TEE_TYPE_TDX));
    put(header, HEADER_QE_SVN_OFFSET, u16(QE_ISV_SVN));
    put(header, HEADER_PCE_SVN_OFFSET, u16(SimulatedTdxMachine.TCB.pceSvn()));
    put(header, TdxQuote.OFFSET_QE_VENDOR_ID, TdxQuote.INTEL_QE_VENDOR_ID);
    put(header, TdxQuote.OFFSET_USER_DATA, USER_DATA);
    return header;
  }

  private byte[] body(byte[] reportData) {
    boolean tdx15 = quoteVersion == TdxQuote.VERSION_5;
    byte[] body = new byte[tdx15 ? TdxQuote.BODY_TDX_15_BYTES : TdxQuote.BODY_TDX_10_BYTES];
    put(body, TdxQuote.BODY_TEE_TCB_SVN, teeTcbSvn);
    put(body, TdxQuote.BODY_MR_SEAM, MR_SEAM);
    // MRSIGNERSEAM stays zero: Intel signs the TDX module. SEAMATTRIBUTES stay zero.
    put(body, TdxQuote.BODY_TD_ATTRIBUTES, u64(tdAttributes));
    put(body, TdxQuote.BODY_XFAM, u64(XFAM));
    put(body, TdxQuote.BODY_MRTD, mrtd);
    put(body, TdxQuote.BODY_MR_CONFIG_ID, mrConfigId);
    // MROWNER and MROWNERCONFIG stay zero: no owner-provided configuration.
    for (int i = 0; i < TdxQuote.RTMR_COUNT; i++) {
      put(body, TdxQuote.BODY_RTMR0 + MR_BYTES * i, rtmrs[i]);
    }
    put(body, TdxQuote.BODY_REPORT_DATA, reportData);
    if (tdx15) {
      put(body, TdxQuote.BODY_TEE_TCB_SVN2, teeTcbSvn);
      // MRSERVICETD stays zero: no service TD is bound.
    }
    return body;
  }

  /** The quoting enclave's SGX report: Intel's TD QE identity, the machine's CPUSVN, and the key binding. */
  private static byte[] qeReport(byte[] attestationKeyBinding) {
    byte[] report = new byte[TdxQeReport.BYTES];
    put(report, TdxQeReport.OFFSET_CPU_SVN, SimulatedTdxMachine.TCB.cpuSvn());
    put(report, TdxQeReport.OFFSET_ATTRIBUTES, QE_ATTRIBUTES);
    put(report, TdxQeReport.OFFSET_MR_ENCLAVE, QE_MR_ENCLAVE);
    put(report, TdxQeReport.OFFSET_MR_SIGNER, TdxEvidenceVerifier.INTEL_TD_QE_MR_SIGNER);
    put(report, TdxQeReport.OFFSET_ISV_PROD_ID, u16(TdxEvidenceVerifier.INTEL_TD_QE_ISV_PROD_ID));
    put(report, TdxQeReport.OFFSET_ISV_SVN, u16(QE_ISV_SVN));
    // Report data: SHA-256(attestation key || QE auth data), then 32 zero bytes.
    put(report, TdxQeReport.OFFSET_REPORT_DATA, attestationKeyBinding);
    return report;
  }

  /** PCK, PCK CA and root as PEM with a trailing NUL, as Intel's quoting library writes them. */
  private byte[] pemChain() {
    StringBuilder pem = new StringBuilder();
    for (byte[] der : machine.pckChain()) {
      pem.append("-----BEGIN CERTIFICATE-----\n")
          .append(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der))
          .append("\n-----END CERTIFICATE-----\n");
    }
    return Hashes.concat(pem.toString().getBytes(StandardCharsets.US_ASCII), new byte[] {0});
  }

  /** ECDSA P-256 / SHA-256 as raw r||s (64 bytes), the form quotes carry. */
  private static byte[] signRaw(PrivateKey key, byte[] data) throws GeneralSecurityException {
    Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
    signer.initSign(key);
    signer.update(data);
    return signer.sign();
  }

  /** X || Y, 32 bytes each, big-endian: the attestation key as the quote carries it. */
  private static byte[] rawPublicKey(ECPublicKey key) {
    return Hashes.concat(unsigned(key.getW().getAffineX()), unsigned(key.getW().getAffineY()));
  }

  private static byte[] unsigned(BigInteger value) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[COORDINATE_BYTES];
    int copy = Math.min(raw.length, COORDINATE_BYTES);
    System.arraycopy(raw, raw.length - copy, out, COORDINATE_BYTES - copy, copy);
    return out;
  }

  private static void put(byte[] into, int offset, byte[] value) {
    System.arraycopy(value, 0, into, offset, value.length);
  }

  private static byte[] u16(int value) {
    return new byte[] {(byte) value, (byte) (value >>> 8)};
  }

  private static byte[] u32(long value) {
    return new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
  }

  private static byte[] u64(long value) {
    return Hashes.concat(u32(value), u32(value >>> 32));
  }

  @Override
  public String toString() {
    return "SimulatedTdxAttester{machine=" + machine + ", mrtd=" + Hashes.shortHex(mrtd, 8) + ", INSECURE}";
  }

  /** Options of a simulated TDX attester; validated when set. */
  public static final class Builder {
    private final SimulatedTdxMachine machine;
    private final byte[] measurement;
    private byte[] mrConfigId = new byte[MR_BYTES];
    private long tdAttributes = TD_ATTRIBUTES_DEFAULT;
    private byte[] teeTcbSvn = SimulatedTdxMachine.defaultTeeTcbSvn();
    private int quoteVersion = QUOTE_VERSION_DEFAULT;

    private Builder(SimulatedTdxMachine machine, byte[] measurement) {
      this.machine = Objects.requireNonNull(machine, "machine");
      this.measurement = Check.length(measurement, PlatformFormat.TDX.measurementBytes(),
          "TDX measurement (MRTD || RTMR0..3)").clone();
    }

    /** MRCONFIGID (48 bytes), which policies match as host data. */
    public Builder mrConfigId(byte[] mrConfigId) {
      this.mrConfigId = Check.length(mrConfigId, MR_BYTES, "MRCONFIGID").clone();
      return this;
    }

    /** TDATTRIBUTES; set {@link TdxClaims#TD_ATTRIBUTES_DEBUG_BIT} for a debug TD. */
    public Builder tdAttributes(long tdAttributes) {
      this.tdAttributes = tdAttributes;
      return this;
    }

    /** TEE_TCB_SVN the TDX module reports (16 bytes); policies hold it to min_tdx_tee_tcb_svn. */
    public Builder teeTcbSvn(byte[] teeTcbSvn) {
      this.teeTcbSvn = Check.length(teeTcbSvn, TdxQuote.TEE_TCB_SVN_BYTES, "TEE_TCB_SVN").clone();
      return this;
    }

    /** Quote version 4 (TDX 1.0 body) or 5 (TDX 1.5 body). */
    public Builder quoteVersion(int version) {
      Check.argument(version == TdxQuote.VERSION_4 || version == TdxQuote.VERSION_5,
          "quote version must be 4 or 5, got " + version);
      this.quoteVersion = version;
      return this;
    }

    public SimulatedTdxAttester build() {
      return new SimulatedTdxAttester(this);
    }
  }
}
