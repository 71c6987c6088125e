package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Intel TDX fields of a verified quote (TD quote body, TDX 1.0 or 1.5).
 *
 * @param teeTcbSvn TEE_TCB_SVN, 16 bytes
 * @param tdAttributes TDATTRIBUTES as a little-endian integer (bit 0 = DEBUG)
 * @param rtmrs RTMR0..RTMR3, 48 bytes each
 * @param teeTcbSvn2 TEE_TCB_SVN2 of a TDX 1.5 body; empty for TDX 1.0
 * @param mrServiceTd MRSERVICETD of a TDX 1.5 body; empty for TDX 1.0
 * @param fmspc FMSPC from the PCK certificate, 6 bytes
 * @param pckKeySha256 SHA-256 of the PCK leaf certificate's SubjectPublicKeyInfo (32 bytes). Intel
 *     issues PCK keys per platform (derived from the platform's provisioning secrets and its TCB
 *     level), so every TD on one machine quotes under the same PCK key: this is the platform
 *     instance id ({@link Claims#platformInstanceId()}). It changes when the platform's TCB is
 *     recovered (a new PCK for the new CPUSVN/PCESVN).
 * @param tcbStatus status from Intel's TCB info when that collateral was supplied and verified, spelled as
 *     Intel does ({@link TdxTcbStatus#jsonName()}: "UpToDate", "OutOfDate", "TDRelaunchAdvised", ...)
 * @param advisoryIds Intel security advisories for that TCB level (empty without TCB info)
 */
public record TdxClaims(
    byte[] teeTcbSvn,
    byte[] mrSeam,
    byte[] mrSignerSeam,
    long seamAttributes,
    long tdAttributes,
    long xfam,
    byte[] mrtd,
    byte[] mrConfigId,
    byte[] mrOwner,
    byte[] mrOwnerConfig,
    List<byte[]> rtmrs,
    byte[] teeTcbSvn2,
    byte[] mrServiceTd,
    byte[] fmspc,
    byte[] pckKeySha256,
    Optional<String> tcbStatus,
    List<String> advisoryIds) implements PlatformClaims {

  public static final long TD_ATTRIBUTES_DEBUG_BIT = 1L;

  public TdxClaims {
    Objects.requireNonNull(pckKeySha256, "pckKeySha256");
    rtmrs = List.copyOf(rtmrs);
    advisoryIds = List.copyOf(advisoryIds);
  }

  @Override
  public Map<String, String> describe() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("tee_tcb_svn", Hashes.hex(teeTcbSvn));
    out.put("mr_seam", Hashes.hex(mrSeam));
    out.put("mr_signer_seam", Hashes.hex(mrSignerSeam));
    out.put("seam_attributes", String.format("%016x", seamAttributes));
    out.put("td_attributes", String.format("%016x", tdAttributes));
    out.put("xfam", String.format("%016x", xfam));
    out.put("mrtd", Hashes.hex(mrtd));
    out.put("mr_config_id", Hashes.hex(mrConfigId));
    out.put("mr_owner", Hashes.hex(mrOwner));
    out.put("mr_owner_config", Hashes.hex(mrOwnerConfig));
    for (int i = 0; i < rtmrs.size(); i++) {
      out.put("rtmr" + i, Hashes.hex(rtmrs.get(i)));
    }
    if (teeTcbSvn2.length > 0) {
      out.put("tee_tcb_svn2", Hashes.hex(teeTcbSvn2));
      out.put("mr_service_td", Hashes.hex(mrServiceTd));
    }
    out.put("fmspc", Hashes.hex(fmspc));
    out.put("pck_key_sha256", Hashes.hex(pckKeySha256));
    out.put("tcb_status", tcbStatus.orElse("not evaluated (no TCB info supplied)"));
    if (!advisoryIds.isEmpty()) {
      out.put("advisory_ids", String.join(",", advisoryIds));
    }
    return out;
  }

  @Override
  public String toString() {
    return "TdxClaims{mrtd=" + Hashes.shortHex(mrtd, 8) + ", teeTcbSvn=" + Hashes.hex(teeTcbSvn)
        + ", tcbStatus=" + tcbStatus.orElse("-") + "}";
  }
}
