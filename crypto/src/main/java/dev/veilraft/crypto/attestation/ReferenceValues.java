package dev.veilraft.crypto.attestation;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.PlatformValues;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The measurement, host-data and TCB reference values a policy applies to one platform: the
 * policy's {@code platform_values} entry for that platform when it has one, else the policy's
 * top-level fields. An entry replaces the top-level values as a whole (an empty field in the
 * entry is not filled in from the top level), so what a platform's members must match can be
 * read from one place. Immutable.
 *
 * @param platform the platform the values were resolved for
 * @param source where they come from, for messages: "policy 'prod'" or
 *     "policy 'prod' (platform_values for SIMULATED_TDX)"
 * @param allowedMeasurements whole measurements allowed; empty allows none
 * @param allowedHostData HOST_DATA / MRCONFIGID values allowed; empty allows any
 * @param minTcb SEV-SNP-format TCB floor, if any
 * @param minTdxTeeTcbSvn TDX-format TEE_TCB_SVN floor (16 bytes), empty for none
 * @param acceptedTcbStatuses TDX-format TCB statuses accepted; empty when not required
 */
public record ReferenceValues(
    Platform platform,
    String source,
    List<ByteString> allowedMeasurements,
    List<ByteString> allowedHostData,
    Optional<TcbVersion> minTcb,
    ByteString minTdxTeeTcbSvn,
    List<String> acceptedTcbStatuses) {

  public ReferenceValues {
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(source, "source");
    allowedMeasurements = List.copyOf(allowedMeasurements);
    allowedHostData = List.copyOf(allowedHostData);
    Objects.requireNonNull(minTcb, "minTcb");
    Objects.requireNonNull(minTdxTeeTcbSvn, "minTdxTeeTcbSvn");
    acceptedTcbStatuses = List.copyOf(acceptedTcbStatuses);
  }

  /** The values {@code policy} applies to evidence of {@code platform}. */
  public static ReferenceValues of(Policy policy, Platform platform) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(platform, "platform");
    Optional<PlatformValues> entry = entry(policy, platform);
    if (entry.isPresent()) {
      PlatformValues values = entry.get();
      return new ReferenceValues(platform, "policy '" + policy.getName() + "' (platform_values for " + platform + ")",
          values.getAllowedMeasurementsList(), values.getAllowedHostDataList(),
          values.hasMinTcb() ? Optional.of(values.getMinTcb()) : Optional.empty(), values.getMinTdxTeeTcbSvn(),
          values.getAcceptedTcbStatusesList());
    }
    return new ReferenceValues(platform, "policy '" + policy.getName() + "'", policy.getAllowedMeasurementsList(),
        policy.getAllowedHostDataList(), policy.hasMinTcb() ? Optional.of(policy.getMinTcb()) : Optional.empty(),
        policy.getMinTdxTeeTcbSvn(), policy.getAcceptedTcbStatusesList());
  }

  /**
   * The first {@code platform_values} entry for {@code platform}. Validation
   * ({@link Policies#problem}) refuses duplicates, so "first" only matters for a policy that
   * skipped it, and then every replica still picks the same entry.
   */
  public static Optional<PlatformValues> entry(Policy policy, Platform platform) {
    for (PlatformValues values : policy.getPlatformValuesList()) {
      if (values.getPlatform() == platform) {
        return Optional.of(values);
      }
    }
    return Optional.empty();
  }
}
