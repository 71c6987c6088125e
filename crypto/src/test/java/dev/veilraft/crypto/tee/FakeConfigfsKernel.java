package dev.veilraft.crypto.tee;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Plays the kernel's configfs-tsm on a temporary directory: mkdir populates an entry's attributes,
 * each write to inblob or privlevel bumps generation, reading outblob makes the "report" from the
 * inblob (the test's firmware), rmdir drops the attributes with the entry. It can also play a racing
 * writer that bumps the generation behind the attester's back.
 */
final class FakeConfigfsKernel implements ConfigfsFiles {
  private final String provider;
  private final UnaryOperator<byte[]> firmware;
  private final byte[] auxblob;
  private final Map<Path, long[]> generations = new HashMap<>();
  private final Map<Path, byte[]> inblobs = new HashMap<>();
  final List<Path> created = new ArrayList<>();
  final List<String> writes = new ArrayList<>();
  int privlevelFloor;
  int racesToPlay;

  /** {@code firmware} maps the inblob to the outblob. */
  FakeConfigfsKernel(String provider, UnaryOperator<byte[]> firmware, byte[] auxblob) {
    this.provider = provider;
    this.firmware = firmware;
    this.auxblob = auxblob.clone();
  }

  @Override
  public void mkdir(Path entry) throws IOException {
    Files.createDirectory(entry);
    created.add(entry);
    generations.put(entry, new long[] {0});
    Files.writeString(entry.resolve("provider"), provider + "\n");
    Files.writeString(entry.resolve("privlevel_floor"), privlevelFloor + "\n");
    Files.write(entry.resolve("inblob"), new byte[0]);
    Files.write(entry.resolve("outblob"), new byte[0]);
    Files.write(entry.resolve("auxblob"), new byte[0]);
    publishGeneration(entry);
  }

  @Override
  public void write(Path attribute, byte[] value) throws IOException {
    Path entry = attribute.getParent();
    String name = attribute.getFileName().toString();
    if (!name.equals("inblob") && !name.equals("privlevel")) {
      throw new AccessDeniedException(attribute.toString(), null, "read-only configfs attribute");
    }
    if (name.equals("privlevel")) {
      int level = Integer.parseInt(new String(value, StandardCharsets.US_ASCII).trim());
      if (level < privlevelFloor) {
        throw new IOException("EINVAL: privlevel below floor");
      }
    } else {
      inblobs.put(entry, value.clone());
    }
    writes.add(name + "=" + (name.equals("privlevel") ? new String(value, StandardCharsets.US_ASCII) : value.length));
    Files.write(attribute, value);
    generations.get(entry)[0]++;
    publishGeneration(entry);
  }

  @Override
  public byte[] read(Path attribute, int bytesMax) throws IOException {
    Path entry = attribute.getParent();
    String name = attribute.getFileName().toString();
    if (name.equals("outblob")) {
      Files.write(attribute, firmware.apply(inblobs.getOrDefault(entry, new byte[0])));
      if (racesToPlay > 0) {
        racesToPlay--;
        generations.get(entry)[0]++;
        publishGeneration(entry);
      }
    } else if (name.equals("auxblob")) {
      Files.write(attribute, auxblob);
    }
    return ConfigfsFiles.readBounded(attribute, bytesMax);
  }

  @Override
  public boolean exists(Path attribute) {
    return Files.exists(attribute);
  }

  @Override
  public void rmdir(Path entry) throws IOException {
    try (Stream<Path> files = Files.list(entry)) {
      for (Path file : files.toList()) {
        Files.delete(file);
      }
    }
    Files.delete(entry);
    generations.remove(entry);
  }

  private void publishGeneration(Path entry) throws IOException {
    Files.writeString(entry.resolve("generation"), generations.get(entry)[0] + "\n");
  }
}
