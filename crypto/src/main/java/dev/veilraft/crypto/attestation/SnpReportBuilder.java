package dev.veilraft.crypto.attestation;

import static dev.veilraft.crypto.attestation.SnpReport.*;

import dev.veilraft.crypto.Check;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Arrays;

/**
 * Writes SEV-SNP reports in the firmware's layout. Used by the simulated TEE (which must produce
 * exactly what real firmware produces, so the verifier has one code path) and by tests that need
 * reports with chosen fields. Every field starts at zero except the version, which starts at 3.
 * Nothing checks that fields fit the version (CPUID in a v2 report): tests need such reports.
 * Not thread-safe.
 */
public final class SnpReportBuilder {
  private final byte[] bytes = new byte[BYTES];

  SnpReportBuilder() {
    version(VERSION_WITH_CPUID);
  }

  public SnpReportBuilder version(int version) {
    return u32(OFFSET_VERSION, version);
  }

  public SnpReportBuilder guestSvn(long guestSvn) {
    return u32(OFFSET_GUEST_SVN, guestSvn);
  }

  public SnpReportBuilder policy(long policy) {
    return u64(OFFSET_POLICY, policy);
  }

  public SnpReportBuilder familyId(byte[] familyId) {
    return bytes(OFFSET_FAMILY_ID, familyId, ID_BYTES, "family id");
  }

  public SnpReportBuilder imageId(byte[] imageId) {
    return bytes(OFFSET_IMAGE_ID, imageId, ID_BYTES, "image id");
  }

  public SnpReportBuilder vmpl(long vmpl) {
    return u32(OFFSET_VMPL, vmpl);
  }

  public SnpReportBuilder signatureAlgo(long algorithm) {
    return u32(OFFSET_SIGNATURE_ALGO, algorithm);
  }

  public SnpReportBuilder currentTcb(long tcb) {
    return u64(OFFSET_CURRENT_TCB, tcb);
  }

  public SnpReportBuilder platformInfo(long platformInfo) {
    return u64(OFFSET_PLATFORM_INFO, platformInfo);
  }

  /** Signer info: author key enabled (bit 0), mask chip key (bit 1), signing key (bits 4:2). */
  public SnpReportBuilder signerInfo(boolean authorKeyEnabled, boolean maskChipKey, int signingKey) {
    Check.argument(signingKey >= 0 && signingKey <= 7, "signing key field is 3 bits, got " + signingKey);
    return u32(OFFSET_SIGNER_INFO, (authorKeyEnabled ? 1 : 0) | (maskChipKey ? 2 : 0) | (signingKey << 2));
  }

  public SnpReportBuilder reportData(byte[] reportData) {
    return bytes(OFFSET_REPORT_DATA, reportData, REPORT_DATA_BYTES, "report data");
  }

  public SnpReportBuilder measurement(byte[] measurement) {
    return bytes(OFFSET_MEASUREMENT, measurement, MEASUREMENT_BYTES, "measurement");
  }

  public SnpReportBuilder hostData(byte[] hostData) {
    return bytes(OFFSET_HOST_DATA, hostData, HOST_DATA_BYTES, "host data");
  }

  public SnpReportBuilder idKeyDigest(byte[] digest) {
    return bytes(OFFSET_ID_KEY_DIGEST, digest, KEY_DIGEST_BYTES, "id key digest");
  }

  public SnpReportBuilder authorKeyDigest(byte[] digest) {
    return bytes(OFFSET_AUTHOR_KEY_DIGEST, digest, KEY_DIGEST_BYTES, "author key digest");
  }

  public SnpReportBuilder reportId(byte[] reportId) {
    return bytes(OFFSET_REPORT_ID, reportId, REPORT_ID_BYTES, "report id");
  }

  public SnpReportBuilder reportIdMa(byte[] reportIdMa) {
    return bytes(OFFSET_REPORT_ID_MA, reportIdMa, REPORT_ID_BYTES, "migration agent report id");
  }

  public SnpReportBuilder reportedTcb(long tcb) {
    return u64(OFFSET_REPORTED_TCB, tcb);
  }

  /** CPUID family, model and stepping; only meaningful for version 3 and later. */
  public SnpReportBuilder cpuid(int family, int model, int stepping) {
    bytes[OFFSET_CPUID_FAMILY] = u8(family, "CPUID family");
    bytes[OFFSET_CPUID_MODEL] = u8(model, "CPUID model");
    bytes[OFFSET_CPUID_STEPPING] = u8(stepping, "CPUID stepping");
    return this;
  }

  public SnpReportBuilder chipId(byte[] chipId) {
    return bytes(OFFSET_CHIP_ID, chipId, CHIP_ID_BYTES, "chip id");
  }

  public SnpReportBuilder committedTcb(long tcb) {
    return u64(OFFSET_COMMITTED_TCB, tcb);
  }

  public SnpReportBuilder currentVersion(int major, int minor, int build) {
    return firmwareVersion(OFFSET_CURRENT_VERSION, major, minor, build);
  }

  public SnpReportBuilder committedVersion(int major, int minor, int build) {
    return firmwareVersion(OFFSET_COMMITTED_VERSION, major, minor, build);
  }

  public SnpReportBuilder launchTcb(long tcb) {
    return u64(OFFSET_LAUNCH_TCB, tcb);
  }

  public SnpReportBuilder launchMitVector(long vector) {
    return u64(OFFSET_LAUNCH_MIT_VECTOR, vector);
  }

  public SnpReportBuilder currentMitVector(long vector) {
    return u64(OFFSET_CURRENT_MIT_VECTOR, vector);
  }

  /** The report with an all-zero signature area. */
  public byte[] encodeUnsigned() {
    byte[] out = bytes.clone();
    Arrays.fill(out, SIGNED_BYTES, BYTES, (byte) 0);
    return out;
  }

  /**
   * The report signed with {@code p384Key}: ECDSA P-384 SHA-384 over bytes [0, 0x2A0), R and S
   * written little-endian and zero-padded to 72 bytes each, the rest of the signature area zero.
   */
  public byte[] sign(PrivateKey p384Key) {
    byte[] out = encodeUnsigned();
    byte[] p1363;
    try {
      Signature signer = Signature.getInstance("SHA384withECDSAinP1363Format");
      signer.initSign(p384Key);
      signer.update(out, 0, SIGNED_BYTES);
      p1363 = signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign an SNP report with this key (need EC P-384): " + e.getMessage(),
          e);
    }
    Check.invariant(p1363.length == 2 * P384_SCALAR_BYTES, "P-384 signature is 96 bytes, got " + p1363.length);
    for (int i = 0; i < P384_SCALAR_BYTES; i++) {
      out[OFFSET_SIGNATURE_R + i] = p1363[P384_SCALAR_BYTES - 1 - i];
      out[OFFSET_SIGNATURE_S + i] = p1363[2 * P384_SCALAR_BYTES - 1 - i];
    }
    return out;
  }

  private SnpReportBuilder firmwareVersion(int offset, int major, int minor, int build) {
    bytes[offset] = u8(build, "firmware build");
    bytes[offset + 1] = u8(minor, "firmware minor");
    bytes[offset + 2] = u8(major, "firmware major");
    return this;
  }

  private SnpReportBuilder bytes(int offset, byte[] value, int length, String what) {
    Check.length(value, length, what);
    System.arraycopy(value, 0, bytes, offset, length);
    return this;
  }

  private SnpReportBuilder u32(int offset, long value) {
    Check.argument(value >= 0 && value <= 0xFFFF_FFFFL, "value " + value + " at 0x" + Integer.toHexString(offset)
        + " does not fit in 32 bits");
    for (int i = 0; i < 4; i++) {
      bytes[offset + i] = (byte) (value >>> (8 * i));
    }
    return this;
  }

  private SnpReportBuilder u64(int offset, long value) {
    for (int i = 0; i < 8; i++) {
      bytes[offset + i] = (byte) (value >>> (8 * i));
    }
    return this;
  }

  private static byte u8(int value, String what) {
    Check.argument(value >= 0 && value <= 0xFF, what + " must fit in one byte, got " + value);
    return (byte) value;
  }
}
