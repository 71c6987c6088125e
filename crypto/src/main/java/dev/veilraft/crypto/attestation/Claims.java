package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Platform;
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
    out.putAll(details.describe());
    return out;
  }

  @Override
  public String toString() {
    return "Claims{platform=" + platform + ", version=" + version + ", signer=" + signer
        + ", measurement=" + Hashes.shortHex(measurement, 8) + ", debug=" + debug + ", " + details + "}";
  }
}
