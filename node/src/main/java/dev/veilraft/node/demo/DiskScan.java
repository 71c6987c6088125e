package dev.veilraft.node.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Searches every file under some directories for a byte pattern: proof that no plaintext reached disk. */
public final class DiskScan {
  private DiskScan() {}

  /** Files scanned, bytes scanned, and the files where the pattern was found. */
  public record Result(int files, long bytes, List<Path> hits) {}

  public static Result scan(List<Path> roots, byte[] pattern) throws IOException {
    int files = 0;
    long bytes = 0;
    List<Path> hits = new ArrayList<>();
    for (Path root : roots) {
      List<Path> paths;
      try (Stream<Path> walk = Files.walk(root)) {
        paths = walk.filter(Files::isRegularFile).toList();
      }
      for (Path file : paths) {
        byte[] content = Files.readAllBytes(file);
        files++;
        bytes += content.length;
        if (indexOf(content, pattern) >= 0) {
          hits.add(file);
        }
      }
    }
    return new Result(files, bytes, hits);
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
