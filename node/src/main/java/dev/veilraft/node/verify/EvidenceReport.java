package dev.veilraft.node.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.PlatformFormat;
import dev.veilraft.crypto.attestation.PolicyChecks;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What verifying one piece of evidence found, out of protocol (no admission, no side effects):
 * the platform layer's verdict and claims and, when a policy was given, every policy check that
 * failed. Shared by {@code veilraft verify} and {@code POST /v1/verify}, printable as text or
 * JSON. Simulated evidence is marked INSECURE wherever it is shown.
 */
public record EvidenceReport(Platform platform, Instant at, AttestationResult platformResult, Policy policy,
    List<AttestationResult> policyFailures, boolean bindingChecked) {

  /** The label every answer about simulated evidence carries. */
  public static final String INSECURE_SIMULATED = "INSECURE: simulated TEE evidence; the host holds every key, so it "
      + "proves nothing about the code that produced it";

  public EvidenceReport {
    policyFailures = List.copyOf(policyFailures);
  }

  /**
   * Verifies real evidence: the platform layer with {@code verifier}, then {@code policy} when not
   * null ({@code expected} report data is checked only when not null). Simulated evidence is
   * refused at the platform layer (no simulated root is known).
   */
  public static EvidenceReport verify(AttestationVerifier verifier, Evidence evidence, Policy policy, byte[] expected,
      Instant at) {
    return verify(verifier, evidence, null, policy, expected, at);
  }

  /**
   * As {@link #verify(AttestationVerifier, Evidence, Policy, byte[], Instant)}, and simulated
   * evidence is checked at the platform layer against the simulated roots {@code simulatedRoots}
   * names (a cluster policy that allows simulation), when not null.
   */
  public static EvidenceReport verify(AttestationVerifier verifier, Evidence evidence, Policy simulatedRoots,
      Policy policy, byte[] expected, Instant at) {
    AttestationResult platformResult;
    if (simulatedRoots != null && evidence != null && PlatformFormat.isSimulated(evidence.getPlatform())) {
      platformResult = simulatedPlatformLayer(verifier, evidence, simulatedRoots, at);
    } else {
      platformResult = verifier.verifyPlatform(evidence, at);
    }
    List<AttestationResult> policyFailures = List.of();
    if (platformResult.accepted() && policy != null) {
      policyFailures = PolicyChecks.failures(platformResult.claims(), policy, expected);
    }
    Platform platform = evidence == null ? Platform.PLATFORM_UNSPECIFIED : evidence.getPlatform();
    return new EvidenceReport(platform, at, platformResult, policy, policyFailures, expected != null);
  }

  /**
   * The platform layer for simulated evidence. The verifier checks simulated chains only inside
   * a policy check, so this runs one with a policy that names the roots and allows nothing
   * (no measurement): a policy-layer rejection carries the claims, which means the platform
   * layer passed; a platform-layer rejection carries none.
   */
  private static AttestationResult simulatedPlatformLayer(AttestationVerifier verifier, Evidence evidence,
      Policy roots, Instant at) {
    Policy platformOnly = Policy.newBuilder().setName(roots.getName()).setAllowSimulated(true)
        .setSimulatedRootSha256(roots.getSimulatedRootSha256())
        .setSimulatedTdxRootSha256(roots.getSimulatedTdxRootSha256()).build();
    AttestationResult result = verifier.verify(evidence, platformOnly, new byte[dev.veilraft.crypto.attestation.ReportData.BYTES], at);
    if (result.claims() != null) {
      return AttestationResult.accept(result.claims());
    }
    return result;
  }

  public boolean passed() {
    return platformResult.accepted() && policyFailures.isEmpty();
  }

  /** Whether the evidence comes from a simulated TEE (always INSECURE). */
  public boolean insecure() {
    return PlatformFormat.isSimulated(platform);
  }

  public String toText() {
    StringBuilder out = new StringBuilder();
    if (insecure()) {
      out.append(INSECURE_SIMULATED).append('\n');
    }
    out.append("platform: ").append(platform).append(", verified at ").append(at).append('\n');
    if (platformResult.accepted()) {
      out.append("claims:\n");
      Map<String, String> claims = platformResult.claims().describe();
      int width = claims.keySet().stream().mapToInt(String::length).max().orElse(0);
      claims.forEach((k, v) -> out.append("  ").append(k).append(" ".repeat(width - k.length() + 2)).append(v)
          .append('\n'));
      out.append("platform layer: PASSED (genuine ").append(platform).append(" evidence, chain to the pinned vendor "
          + "root)\n");
    } else {
      out.append("platform layer: FAILED\n  ").append(platformResult.reason()).append(": ")
          .append(platformResult.detail()).append('\n');
    }
    if (policy != null && platformResult.accepted()) {
      out.append("policy '").append(policy.getName()).append("': ")
          .append(policyFailures.isEmpty() ? "PASSED" : "FAILED").append('\n');
      for (AttestationResult failure : policyFailures) {
        out.append("  ").append(failure.reason()).append(": ").append(failure.detail()).append('\n');
      }
      if (!bindingChecked) {
        out.append("  note: report_data binding not checked (no --report-data)\n");
      }
    } else if (policy == null) {
      out.append("policy: none given, only the platform layer was checked\n");
    }
    out.append(passed() ? "PASSED" : "FAILED").append('\n');
    return out.toString();
  }

  /** The report as an ordered map (JSON object): verdict, platform, time, claims, policy, failures. */
  public Map<String, Object> toMap() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("verdict", passed() ? "PASSED" : "FAILED");
    root.put("platform", platform.name());
    if (insecure()) {
      root.put("security", INSECURE_SIMULATED);
    }
    root.put("verified_at", at.toString());
    root.put("claims", platformResult.accepted() ? platformResult.claims().describe() : null);
    List<Map<String, String>> failures = new ArrayList<>();
    if (!platformResult.accepted()) {
      failures.add(failure("platform", platformResult));
    }
    policyFailures.forEach(f -> failures.add(failure("policy", f)));
    root.put("policy", policy == null ? null : policy.getName());
    root.put("report_data_checked", policy != null && bindingChecked);
    root.put("failures", failures);
    return root;
  }

  public String toJson() {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toMap()) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, String> failure(String layer, AttestationResult result) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("layer", layer);
    out.put("reason", result.reason().name());
    out.put("message", result.detail());
    return out;
  }
}
