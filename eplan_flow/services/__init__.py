"""Use cases. Each public function owns its transaction: it commits once or changes nothing."""
