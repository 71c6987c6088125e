package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Platform;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What verified evidence says about the attester: the fields every platform has, in one shape the
 * policy layer compares, plus the platform's own fields in {@link #details}. Byte arrays are
 * owned by this record; callers must not modify them.
 *
 * @param version report or quote version (SEV-SNP report version, TDX quote version, 1 for Nitro)
 * @param signer the key that signed the evidence: "VCEK", "VLEK", "PCK" or "AWS Nitro"
 * @param measurement the whole launch measurement (see {@code Policy.allowed_measurements})
 * @param reportData the 64 bytes the attester bound into the evidence (Nitro: user_data)
 * @param hostData SEV-SNP HOST_DATA or TDX MRCONFIGID; empty for Nitro
 * @param debug whether the host can read the guest's memory (debug policy bit or attribute)
 */
public record Claims(
    Platform platform,
    int version,
    String signer,
    byte[] measurement,
    byte[] reportData,
    byte[] hostData,
    boolean debug,
    PlatformClaims details) {

  public Claims {
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(signer, "signer");
    Objects.requireNonNull(measurement, "measurement");
    Objects.requireNonNull(reportData, "reportData");
    Objects.requireNonNull(hostData, "hostData");
    Objects.requireNonNull(details, "details");
  }

  /**
   * Which physical TEE produced the evidence, so a group can refuse two members on one machine (a
   * host that runs several members defeats the point of replicating across TEEs). Never empty:
   * <ul>
   *   <li>SEV_SNP, SIMULATED_SNP: the report's 64-byte CHIP_ID, which the verifier has matched
   *       against the VCEK's hwID (Turin: 8 significant bytes, then zeros). A guest that masks its
   *       chip id (MASK_CHIP_ID, or VLEK signing) reports zeros, so all such guests share one id;
   *       refusing duplicates then refuses them, which fails safe.</li>
   *   <li>TDX, SIMULATED_TDX: SHA-256 of the PCK leaf certificate's SubjectPublicKeyInfo (32
   *       bytes). Intel issues one PCK key per platform and TCB level, so every TD on a machine
   *       quotes under the same PCK; the id changes when the platform's TCB is recovered.</li>
   *   <li>NITRO: the UTF-8 of module_id ("i-…-enc…"), which names the enclave's parent instance
   *       and enclave.</li>
   * </ul>
   * A fresh copy each call.
   */
  public byte[] platformInstanceId() {
    byte[] id;
    if (details instanceof SnpClaims snp) {
      id = snp.chipId().clone();
    } else if (details instanceof TdxClaims tdx) {
      id = tdx.pckKeySha256().clone();
    } else if (details instanceof NitroClaims nitro) {
      id = nitro.moduleId().getBytes(StandardCharsets.UTF_8);
    } else {
      throw new IllegalStateException("claims of unknown kind " + details.getClass().getName());
    }
    Check.invariant(id.length > 0, platform + " claims have an empty platform instance id");
    return id;
  }

  /** The claims as ordered name → printable value (hex for bytes), for people and the CLI. */
  public Map<String, String> describe() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("platform", platform.name());
    out.put("version", Integer.toString(version));
    out.put("signer", signer);
    out.put("measurement", Hashes.hex(measurement));
    out.put("report_data", Hashes.hex(reportData));
    if (hostData.length > 0) {
      out.put("host_data", Hashes.hex(hostData));
    }
    out.put("debug", Boolean.toString(debug));
    out.put("platform_instance_id", Hashes.hex(platformInstanceId()));
    out.putAll(details.describe());
    return out;
  }

  @Override
  public String toString() {
    return "Claims{platform=" + platform + ", version=" + version + ", signer=" + signer
        + ", measurement=" + Hashes.shortHex(measurement, 8) + ", debug=" + debug + ", " + details + "}";
  }
}
