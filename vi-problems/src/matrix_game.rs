//! `matrix_game` problem (see MATH.md section 3).
