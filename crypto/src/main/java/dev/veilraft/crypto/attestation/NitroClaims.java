package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;

/**
 * AWS Nitro Enclaves fields of a verified attestation document.
 *
 * @param pcrs PCR index → value (48 bytes each for SHA384 documents)
 * @param publicKey the optional public_key field; empty when absent or null
 * @param userData the optional user_data field; empty when absent or null
 * @param nonce the optional nonce field; empty when absent or null
 */
public record NitroClaims(
    String moduleId,
    String digest,
    Instant timestamp,
    SortedMap<Integer, byte[]> pcrs,
    byte[] publicKey,
    byte[] userData,
    byte[] nonce) implements PlatformClaims {

  public NitroClaims {
    pcrs = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(pcrs));
  }

  @Override
  public Map<String, String> describe() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("module_id", moduleId);
    out.put("digest", digest);
    out.put("timestamp", timestamp.toString());
    pcrs.forEach((index, value) -> out.put("pcr" + index, Hashes.hex(value)));
    out.put("public_key", Hashes.hex(publicKey));
    out.put("user_data", Hashes.hex(userData));
    out.put("nonce", Hashes.hex(nonce));
    return out;
  }

  @Override
  public String toString() {
    return "NitroClaims{module=" + moduleId + ", timestamp=" + timestamp + ", pcrs=" + pcrs.size() + "}";
  }
}
