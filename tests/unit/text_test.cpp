#include <gtest/gtest.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/text.h"

namespace ax {

TEST(Text, EditDistanceAgainstHandCounts) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("same", "same"), 0u);
}

TEST(Text, DidYouMeanPicksClosest) {
  EXPECT_EQ(did_you_mean("batch_sise", {"batch_size", "test_batch_size", "type"}),
            " (did you mean 'batch_size'?)");
  EXPECT_EQ(did_you_mean("zzzzzz", {"batch_size", "type"}), "");
}

TEST(Text, ExpandEnv) {
  setenv("AXTRAIN_TEST_VAR", "/data", 1);
  EXPECT_EQ(expand_env("${AXTRAIN_TEST_VAR}/x", "w"), "/data/x");
  unsetenv("AXTRAIN_TEST_VAR_UNSET");
  EXPECT_EQ(expand_env("${AXTRAIN_TEST_VAR_UNSET:-def}/x", "w"), "def/x");
  EXPECT_THROW(expand_env("${AXTRAIN_TEST_VAR_UNSET}/x", "w"), ConfigError);
}

TEST(Text, ExpandEnvNestedDefault) {
  setenv("AXTRAIN_TEST_VAR", "/data", 1);
  unsetenv("AXTRAIN_TEST_VAR_UNSET");
  // Unset outer variable: the default is expanded, including its own ${...}.
  EXPECT_EQ(expand_env("${AXTRAIN_TEST_VAR_UNSET:-${AXTRAIN_TEST_VAR}/cache}/c10", "w"), "/data/cache/c10");
  // Set outer variable: the default (even one naming an unset variable) is not evaluated.
  EXPECT_EQ(expand_env("${AXTRAIN_TEST_VAR:-${AXTRAIN_TEST_VAR_UNSET}}/c10", "w"), "/data/c10");
  EXPECT_EQ(expand_env("${AXTRAIN_TEST_VAR_UNSET:-${AXTRAIN_TEST_VAR_UNSET:-a}b}", "w"), "ab");
  EXPECT_THROW(expand_env("${AXTRAIN_TEST_VAR_UNSET:-${AXTRAIN_TEST_VAR_UNSET}}", "w"), ConfigError);
  EXPECT_THROW(expand_env("${AXTRAIN_TEST_VAR_UNSET:-${HOME}", "w"), ConfigError);
}

}  // namespace ax
