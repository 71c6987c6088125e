package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.Optional;

/**
 * An AMD SEV-SNP ATTESTATION_REPORT (1184 bytes, little-endian integers), as laid out in the SNP
 * firmware ABI and in {@code shared/vectors/LAYOUTS.md}. Parsing only checks the length and the
 * version; the accessors decode fields from an immutable copy of the bytes, so what is verified
 * and what is read are the same bytes. The simulated TEE produces the same layout through
 * {@link SnpReportBuilder}.
 */
public final class SnpReport {
  public static final int BYTES = 0x4A0;
  /** The signature covers bytes [0, 0x2A0). */
  public static final int SIGNED_BYTES = 0x2A0;
  public static final int VERSION_MIN = 2;
  /** Highest version whose layout this code knows; later firmware may move fields. */
  public static final int VERSION_MAX = 5;
  /** First version that carries the CPUID family, model and stepping. */
  public static final int VERSION_WITH_CPUID = 3;
  public static final int SIGNATURE_ALGO_ECDSA_P384_SHA384 = 1;
  public static final int SIGNING_KEY_VCEK = 0;
  public static final int SIGNING_KEY_VLEK = 1;
  public static final int SIGNING_KEY_NONE = 7;
  /** Guest policy bit 19: the host may debug (read and write) the guest's memory. */
  public static final long POLICY_DEBUG_BIT = 1L << 19;
  /** Bytes of each little-endian signature component (R, S) in the report. */
  public static final int SIGNATURE_COMPONENT_BYTES = 72;
  static final int P384_SCALAR_BYTES = 48;

  static final int OFFSET_VERSION = 0x000;
  static final int OFFSET_GUEST_SVN = 0x004;
  static final int OFFSET_POLICY = 0x008;
  static final int OFFSET_FAMILY_ID = 0x010;
  static final int OFFSET_IMAGE_ID = 0x020;
  static final int OFFSET_VMPL = 0x030;
  static final int OFFSET_SIGNATURE_ALGO = 0x034;
  static final int OFFSET_CURRENT_TCB = 0x038;
  static final int OFFSET_PLATFORM_INFO = 0x040;
  static final int OFFSET_SIGNER_INFO = 0x048;
  static final int OFFSET_REPORT_DATA = 0x050;
  static final int OFFSET_MEASUREMENT = 0x090;
  static final int OFFSET_HOST_DATA = 0x0C0;
  static final int OFFSET_ID_KEY_DIGEST = 0x0E0;
  static final int OFFSET_AUTHOR_KEY_DIGEST = 0x110;
  static final int OFFSET_REPORT_ID = 0x140;
  static final int OFFSET_REPORT_ID_MA = 0x160;
  static final int OFFSET_REPORTED_TCB = 0x180;
  static final int OFFSET_CPUID_FAMILY = 0x188;
  static final int OFFSET_CPUID_MODEL = 0x189;
  static final int OFFSET_CPUID_STEPPING = 0x18A;
  static final int OFFSET_CHIP_ID = 0x1A0;
  static final int OFFSET_COMMITTED_TCB = 0x1E0;
  static final int OFFSET_CURRENT_VERSION = 0x1E8;
  static final int OFFSET_COMMITTED_VERSION = 0x1EC;
  static final int OFFSET_LAUNCH_TCB = 0x1F0;
  static final int OFFSET_LAUNCH_MIT_VECTOR = 0x1F8;
  static final int OFFSET_CURRENT_MIT_VECTOR = 0x200;
  static final int OFFSET_SIGNATURE_R = 0x2A0;
  static final int OFFSET_SIGNATURE_S = 0x2E8;

  static final int ID_BYTES = 16;
  static final int REPORT_DATA_BYTES = 64;
  static final int MEASUREMENT_BYTES = 48;
  static final int HOST_DATA_BYTES = 32;
  static final int KEY_DIGEST_BYTES = 48;
  static final int REPORT_ID_BYTES = 32;
  static final int CHIP_ID_BYTES = 64;

  private final byte[] bytes;

  private SnpReport(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Reads a report; fails on a wrong length or a version outside {@value #VERSION_MIN}..{@value #VERSION_MAX}. */
  public static SnpReport parse(byte[] report) throws MalformedReportException {
    if (report == null || report.length != BYTES) {
      throw new MalformedReportException(RejectReason.MALFORMED, "SEV-SNP report must be " + BYTES
          + " bytes (0x4A0), got " + (report == null ? "none" : report.length + " bytes"));
    }
    long version = LittleEndian.u32(report, OFFSET_VERSION);
    if (version < VERSION_MIN || version > VERSION_MAX) {
      throw new MalformedReportException(RejectReason.UNSUPPORTED_REPORT_VERSION, "SEV-SNP report version "
          + version + " is not supported (versions " + VERSION_MIN + " to " + VERSION_MAX + " are)");
    }
    return new SnpReport(report.clone());
  }

  /** A builder for reports in this layout, used by the simulated TEE and by tests. */
  public static SnpReportBuilder builder() {
    return new SnpReportBuilder();
  }

  public byte[] toByteArray() {
    return bytes.clone();
  }

  public int version() {
    return (int) LittleEndian.u32(bytes, OFFSET_VERSION);
  }

  public long guestSvn() {
    return LittleEndian.u32(bytes, OFFSET_GUEST_SVN);
  }

  /** The guest policy the VM was launched with (bit 19 = debug, 16 = SMT allowed, 17 = reserved 1). */
  public long policy() {
    return LittleEndian.u64(bytes, OFFSET_POLICY);
  }

  public boolean debugAllowed() {
    return (policy() & POLICY_DEBUG_BIT) != 0;
  }

  public byte[] familyId() {
    return slice(OFFSET_FAMILY_ID, ID_BYTES);
  }

  public byte[] imageId() {
    return slice(OFFSET_IMAGE_ID, ID_BYTES);
  }

  /** VMPL of the request, unsigned; real firmware reports 0 to 3. */
  public long vmpl() {
    return LittleEndian.u32(bytes, OFFSET_VMPL);
  }

  public long signatureAlgo() {
    return LittleEndian.u32(bytes, OFFSET_SIGNATURE_ALGO);
  }

  public long currentTcb() {
    return LittleEndian.u64(bytes, OFFSET_CURRENT_TCB);
  }

  public long platformInfo() {
    return LittleEndian.u64(bytes, OFFSET_PLATFORM_INFO);
  }

  /** The raw signer-info word at 0x48. */
  public long signerInfo() {
    return LittleEndian.u32(bytes, OFFSET_SIGNER_INFO);
  }

  public boolean authorKeyEnabled() {
    return (signerInfo() & 0x1) != 0;
  }

  /** When set, the firmware zeroed chip_id so the report does not identify the chip. */
  public boolean maskChipKey() {
    return (signerInfo() & 0x2) != 0;
  }

  /** Which key signed the report: {@value #SIGNING_KEY_VCEK} VCEK, {@value #SIGNING_KEY_VLEK} VLEK, 7 none. */
  public int signingKey() {
    return (int) ((signerInfo() >>> 2) & 0x7);
  }

  public byte[] reportData() {
    return slice(OFFSET_REPORT_DATA, REPORT_DATA_BYTES);
  }

  public byte[] measurement() {
    return slice(OFFSET_MEASUREMENT, MEASUREMENT_BYTES);
  }

  public byte[] hostData() {
    return slice(OFFSET_HOST_DATA, HOST_DATA_BYTES);
  }

  public byte[] idKeyDigest() {
    return slice(OFFSET_ID_KEY_DIGEST, KEY_DIGEST_BYTES);
  }

  public byte[] authorKeyDigest() {
    return slice(OFFSET_AUTHOR_KEY_DIGEST, KEY_DIGEST_BYTES);
  }

  public byte[] reportId() {
    return slice(OFFSET_REPORT_ID, REPORT_ID_BYTES);
  }

  public byte[] reportIdMa() {
    return slice(OFFSET_REPORT_ID_MA, REPORT_ID_BYTES);
  }

  /** The TCB the VCEK was derived from; what the verifier compares with the VCEK's SPL extensions. */
  public long reportedTcb() {
    return LittleEndian.u64(bytes, OFFSET_REPORTED_TCB);
  }

  public boolean hasCpuid() {
    return version() >= VERSION_WITH_CPUID;
  }

  /** CPUID family (v3+; reserved bytes in v2). */
  public int cpuidFamily() {
    return u8(OFFSET_CPUID_FAMILY);
  }

  public int cpuidModel() {
    return u8(OFFSET_CPUID_MODEL);
  }

  public int cpuidStepping() {
    return u8(OFFSET_CPUID_STEPPING);
  }

  /** The product named by CPUID in a version 3+ report; empty for v2 or an unknown family/model. */
  public Optional<SnpProduct> productFromCpuid() {
    return hasCpuid() ? SnpProduct.fromCpuid(cpuidFamily(), cpuidModel()) : Optional.empty();
  }

  public byte[] chipId() {
    return slice(OFFSET_CHIP_ID, CHIP_ID_BYTES);
  }

  public long committedTcb() {
    return LittleEndian.u64(bytes, OFFSET_COMMITTED_TCB);
  }

  /** Current firmware version as {major, minor, build}. */
  public int[] currentVersion() {
    return firmwareVersion(OFFSET_CURRENT_VERSION);
  }

  /** Committed firmware version as {major, minor, build}. */
  public int[] committedVersion() {
    return firmwareVersion(OFFSET_COMMITTED_VERSION);
  }

  public long launchTcb() {
    return LittleEndian.u64(bytes, OFFSET_LAUNCH_TCB);
  }

  public long launchMitVector() {
    return LittleEndian.u64(bytes, OFFSET_LAUNCH_MIT_VECTOR);
  }

  public long currentMitVector() {
    return LittleEndian.u64(bytes, OFFSET_CURRENT_MIT_VECTOR);
  }

  /** The bytes the signature covers. */
  public byte[] signedBytes() {
    return slice(0, SIGNED_BYTES);
  }

  /** R as stored: 72 bytes, little-endian. */
  public byte[] signatureR() {
    return slice(OFFSET_SIGNATURE_R, SIGNATURE_COMPONENT_BYTES);
  }

  /** S as stored: 72 bytes, little-endian. */
  public byte[] signatureS() {
    return slice(OFFSET_SIGNATURE_S, SIGNATURE_COMPONENT_BYTES);
  }

  /**
   * Whether {@code leafKey} (a VCEK or VLEK P-384 key) signed this report with ECDSA SHA-384.
   * False for any malformed signature, including R or S that do not fit in 48 bytes.
   */
  public boolean verifySignature(PublicKey leafKey) {
    byte[] p1363 = new byte[2 * P384_SCALAR_BYTES];
    if (!toBigEndianScalar(OFFSET_SIGNATURE_R, p1363, 0) || !toBigEndianScalar(OFFSET_SIGNATURE_S, p1363,
        P384_SCALAR_BYTES)) {
      return false;
    }
    try {
      Signature verifier = Signature.getInstance("SHA384withECDSAinP1363Format");
      verifier.initVerify(leafKey);
      verifier.update(bytes, 0, SIGNED_BYTES);
      return verifier.verify(p1363);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** Whether the signature area after R and S ([0x330, 0x4A0), unsigned and must-be-zero) is zero. */
  public boolean signatureAreaTailIsZero() {
    for (int i = OFFSET_SIGNATURE_S + SIGNATURE_COMPONENT_BYTES; i < BYTES; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** Reverses a 72-byte little-endian component into 48 big-endian bytes; its top 24 bytes must be zero. */
  private boolean toBigEndianScalar(int offset, byte[] out, int outOffset) {
    for (int i = P384_SCALAR_BYTES; i < SIGNATURE_COMPONENT_BYTES; i++) {
      if (bytes[offset + i] != 0) {
        return false;
      }
    }
    for (int i = 0; i < P384_SCALAR_BYTES; i++) {
      out[outOffset + i] = bytes[offset + P384_SCALAR_BYTES - 1 - i];
    }
    return true;
  }

  private int[] firmwareVersion(int offset) {
    // Stored as build, minor, major.
    return new int[] {u8(offset + 2), u8(offset + 1), u8(offset)};
  }

  private byte[] slice(int offset, int length) {
    return Arrays.copyOfRange(bytes, offset, offset + length);
  }

  private int u8(int offset) {
    return bytes[offset] & 0xFF;
  }

  @Override
  public String toString() {
    return "SnpReport{version=" + version() + ", policy=0x" + Long.toHexString(policy()) + ", vmpl=" + vmpl()
        + ", signingKey=" + signingKey() + ", measurement=" + Hashes.shortHex(measurement(), 8)
        + "}";
  }
}
