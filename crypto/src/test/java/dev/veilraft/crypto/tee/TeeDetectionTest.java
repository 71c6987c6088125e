package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.proto.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TeeDetectionTest {
  @TempDir
  Path sysRoot;
  @TempDir
  Path devRoot;

  private void device(String name) throws Exception {
    Files.createDirectories(devRoot.resolve("dev"));
    Files.createFile(devRoot.resolve("dev").resolve(name));
  }

  private Path configfs() throws Exception {
    return Files.createDirectories(sysRoot.resolve("sys/kernel/config/tsm/report"));
  }

  @Test
  void saysSoWhenThereIsNoTee() {
    // Proves empty roots yield no platform and the one line naming the simulated platform as the only option.
    TeeEnvironment environment = TeeDetection.detect(sysRoot, devRoot);
    assertThat(environment.anyTee()).isFalse();
    assertThat(environment.preferred()).isEmpty();
    assertThat(environment.describe()).containsExactly(TeeEnvironment.NO_TEE);
    assertThatThrownBy(() -> HardwareAttesters.open(environment, SnpEndorsements.tableOnly()))
        .isInstanceOf(AttestationException.class).hasMessageContaining(TeeEnvironment.NO_TEE);
  }

  @Test
  void readsTheConfigfsProviderFromAProbeEntryAndRemovesIt() throws Exception {
    // Proves the provider is read from a probe entry, which is removed, and configfs-tsm with sev_guest is preferred.
    Path reportDir = configfs();
    device("sev-guest");
    FakeConfigfsKernel kernel = new FakeConfigfsKernel("sev_guest", b -> b, new byte[0]);
    TeeEnvironment environment = TeeDetection.detect(sysRoot, devRoot, kernel);
    assertThat(environment.tsmProvider()).hasValue("sev_guest");
    assertThat(environment.preferred()).hasValue(Platform.SEV_SNP);
    assertThat(environment.describe()).contains("preferred platform: SEV_SNP via configfs-tsm")
        .anySatisfy(line -> assertThat(line).startsWith("configfs-tsm report interface: " + reportDir)
            .endsWith("provider sev_guest"))
        .anySatisfy(line -> assertThat(line).startsWith("SEV-SNP guest device: " + devRoot.resolve("dev/sev-guest")));
    assertThat(kernel.created).hasSize(1);
    try (Stream<Path> left = Files.list(reportDir)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void prefersTdxOnlyWithConfigfs() throws Exception {
    // Proves /dev/tdx_guest alone offers no platform (TDREPORTs are not quotes), while with configfs-tsm TDX is preferred.
    device("tdx_guest");
    TeeEnvironment deviceOnly = TeeDetection.detect(sysRoot, devRoot);
    assertThat(deviceOnly.preferred()).isEmpty();
    assertThat(deviceOnly.describe()).anySatisfy(line -> assertThat(line).contains("TDREPORT only"))
        .anySatisfy(line -> assertThat(line).startsWith("no usable hardware attestation here"));

    configfs();
    TeeEnvironment withConfigfs = TeeDetection.detect(sysRoot, devRoot, new FakeConfigfsKernel("tdx_guest", b -> b,
        new byte[0]));
    assertThat(withConfigfs.preferred()).hasValue(Platform.TDX);
  }

  @Test
  void fallsBackToTheDevicesWhenTheProviderCannotBeRead() throws Exception {
    // Proves a configfs directory without a TSM driver is noted, and the SEV-SNP device then decides the platform.
    configfs();
    device("sev-guest");
    TeeEnvironment environment = TeeDetection.detect(sysRoot, devRoot);
    assertThat(environment.tsmProvider()).isEmpty();
    assertThat(environment.notes()).anySatisfy(note -> assertThat(note).contains("no TSM driver is loaded"));
    assertThat(environment.preferred()).hasValue(Platform.SEV_SNP);
    assertThat(environment.describe())
        .contains("preferred platform: SEV_SNP via configfs-tsm, else " + devRoot.resolve("dev/sev-guest"));
  }

  @Test
  void findsNitro() throws Exception {
    // Proves /dev/nsm makes NITRO the platform, and the factory reaches the NSM device (here /dev/null, which refuses the ioctl).
    device("nsm");
    TeeEnvironment environment = TeeDetection.detect(sysRoot, devRoot);
    assertThat(environment.preferred()).hasValue(Platform.NITRO);
    assertThat(environment.describe()).contains("preferred platform: NITRO via /dev/nsm");
    TeeEnvironment onNull = new TeeEnvironment(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.of(new TeeEnvironment.Node(Path.of("/dev/null"), true)), List.of());
    if (LibcDeviceIo.supported()) {
      assertThatThrownBy(() -> HardwareAttesters.open(onNull, SnpEndorsements.tableOnly()))
          .hasMessageContaining("NSM_IOCTL_RAW (Attestation) on /dev/null failed");
    }
  }

  @Test
  void describesThisMachine() {
    // Proves detection on the real roots runs and always prints at least one line.
    TeeEnvironment here = TeeDetection.detect();
    assertThat(here.describe()).isNotEmpty();
    if (!here.anyTee()) {
      assertThat(here.describe()).containsExactly(TeeEnvironment.NO_TEE);
    }
  }
}
