package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.TcbVersion;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SEV-SNP fields of a verified report (also for the simulated TEE, which uses the same layout).
 *
 * @param guestPolicy the 64-bit guest POLICY the guest was launched with
 * @param currentTcb the firmware's current TCB; {@code reportedTcb} is what the VCEK was issued for
 * @param firmware current firmware as "major.minor.build"
 */
public record SnpClaims(
    SnpProduct product,
    byte[] chipId,
    TcbVersion reportedTcb,
    TcbVersion currentTcb,
    TcbVersion committedTcb,
    TcbVersion launchTcb,
    long guestPolicy,
    int vmpl,
    long platformInfo,
    int guestSvn,
    byte[] idKeyDigest,
    String firmware) implements PlatformClaims {

  public static final long POLICY_SMT_BIT = 1L << 16;
  public static final long POLICY_MIGRATE_MA_BIT = 1L << 18;
  public static final long POLICY_DEBUG_BIT = 1L << 19;
  public static final long POLICY_SINGLE_SOCKET_BIT = 1L << 20;

  public int abiMajor() {
    return (int) ((guestPolicy >>> 8) & 0xFF);
  }

  public int abiMinor() {
    return (int) (guestPolicy & 0xFF);
  }

  public boolean smtAllowed() {
    return (guestPolicy & POLICY_SMT_BIT) != 0;
  }

  public boolean migrationAgentAllowed() {
    return (guestPolicy & POLICY_MIGRATE_MA_BIT) != 0;
  }

  public boolean singleSocketRequired() {
    return (guestPolicy & POLICY_SINGLE_SOCKET_BIT) != 0;
  }

  @Override
  public Map<String, String> describe() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("product", product.displayName());
    out.put("chip_id", Hashes.hex(chipId));
    out.put("reported_tcb", SnpProduct.describeTcb(reportedTcb));
    out.put("current_tcb", SnpProduct.describeTcb(currentTcb));
    out.put("committed_tcb", SnpProduct.describeTcb(committedTcb));
    out.put("launch_tcb", SnpProduct.describeTcb(launchTcb));
    out.put("guest_policy", "0x" + Long.toHexString(guestPolicy) + " (abi " + abiMajor() + "." + abiMinor()
        + (smtAllowed() ? ", smt" : "") + (migrationAgentAllowed() ? ", migrate_ma" : "")
        + ((guestPolicy & POLICY_DEBUG_BIT) != 0 ? ", debug" : "")
        + (singleSocketRequired() ? ", single_socket" : "") + ")");
    out.put("vmpl", Integer.toString(vmpl));
    out.put("platform_info", "0x" + Long.toHexString(platformInfo));
    out.put("guest_svn", Integer.toString(guestSvn));
    out.put("id_key_digest", Hashes.hex(idKeyDigest));
    out.put("firmware", firmware);
    return out;
  }

  @Override
  public String toString() {
    return "SnpClaims{" + product.displayName() + ", chipId=" + Hashes.shortHex(chipId, 8) + ", tcb="
        + SnpProduct.describeTcb(reportedTcb) + ", vmpl=" + vmpl + "}";
  }
}
