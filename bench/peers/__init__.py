"""What a user might run instead of our chat consumer, for bench.suite to compare against."""
