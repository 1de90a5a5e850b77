# Sourced by the bench scripts: finds JDK 25 (exports JAVA_HOME), compiles the main and test classes, and sets
# TEST_CLASSPATH to them plus every test-scope dependency. Run from the repository root.
. scripts/java-home.sh
JAVA_HOME=$(find_jdk25) || exit 1
export JAVA_HOME
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
command -v mvn >/dev/null || { echo "$0: Maven is missing (apt-get install maven)" >&2; exit 1; }
mvn -q -B -ntp -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath >&2
TEST_CLASSPATH="target/classes:target/test-classes:$(cat target/test.classpath)"
