package dev.veil.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes the seed inputs of fuzz targets into the corpus that Jazzer reads, {@code
 * src/test/resources/<package>/<Class>Inputs/<method>/}: each target class has a static {@code seeds()} method
 * that returns file names and contents. Seeds are made from real exchanges (a {@code Pair} handshake, sample
 * configs, UAPI transcripts, sample command lines), so they are valid inputs to start mutating from.
 *
 * <p>usage: {@code java -cp ... dev.veil.fuzz.WriteSeeds PROJECT_DIR CLASS...} (bench/fuzz.sh --seeds runs it).
 */
public final class WriteSeeds {
    private WriteSeeds() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        for (String name : Arrays.copyOfRange(args, 1, args.length)) {
            Class<?> target = Class.forName(name);
            Method seeds = target.getDeclaredMethod("seeds");
            seeds.setAccessible(true);
            @SuppressWarnings("unchecked")
            Map<String, byte[]> files = (Map<String, byte[]>) seeds.invoke(null);
            Path dir = inputs(root, target);
            Files.createDirectories(dir);
            for (Map.Entry<String, byte[]> f : files.entrySet()) write(dir.resolve(f.getKey()), f.getValue());
            System.out.println(dir + ": " + files.size() + " seeds");
        }
    }

    /** The inputs directory of a class's one fuzz test, in the source tree under {@code root}. */
    public static Path inputs(Path root, Class<?> target) {
        Method test = Arrays.stream(target.getDeclaredMethods()).filter(m -> m.isAnnotationPresent(FuzzTest.class))
            .findFirst().orElseThrow(() -> new IllegalArgumentException(target + " has no @FuzzTest"));
        return root.resolve("src/test/resources").resolve(target.getPackageName().replace('.', '/'))
            .resolve(target.getSimpleName() + "Inputs").resolve(test.getName());
    }

    private static void write(Path file, byte[] content) throws IOException {
        Files.write(file, content);
    }
}
