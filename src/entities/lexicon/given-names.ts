/**
 * Common US given names. A bare capitalised pair ("Jane Doe") is only taken for a PERSON when its
 * first word is listed here: without it, every "Purchase Price" or "Governing Law" would be a name.
 * Names that are also ordinary words, months or places (Will, Mark, Grant, Bill, Chase, May, June,
 * Georgia, Austin, Hope, Faith, …) are left out on purpose.
 */
const NAMES = `
Aaron Abigail Adam Adrian Adrienne Aidan Alan Albert Alberto Alejandro Alex Alexander Alexandra Alexis
Alfred Alice Alicia Alison Allen Allison Alma Alvin Amanda Amelia Amy Ana Andre Andrea Andrew
Andy Angela Angelica Anita Ann Anna Anne Annette Anthony Antonio Arlene Arnold Arthur Ashley
Audrey Barbara Barry Beatrice Becky Benjamin Bernard Beth Betty Beverly Bonnie Brad Bradley Brandon
Brenda Brendan Brett Brian Bridget Brittany Bruce Bryan Byron Caleb Calvin Cameron Carl Carla Carlos
Carmen Caroline Carolyn Carrie Catherine Cecil Cecilia Chad Charles Cheryl Chris Christina Christine
Christopher Cindy Claire Clara Clarence Claude Claudia Clifford Clinton Cody Colin Connie Constance
Courtney Craig Curtis Cynthia Dale Dana Daniel Danielle Danny Darlene Darren Daryl David Deborah Debra
Denise Dennis Derek Diana Diane Dolores Donald Donna Doris Dorothy Douglas Duane Dustin Dwight Edgar
Edith Eduardo Edward Edwin Eileen Elaine Eleanor Elena Elijah Elizabeth Ellen Elliot Emily Emma
Enrique Eric Erica Erik Erin Ernest Esther Ethan Eugenia Evan Evelyn Felicia Felix Fernando Francis
Francisco Frederick Gabriel Gabriela Gail Gary Gavin Geoffrey George Gerald Geraldine Gilbert
Gina Gladys Glenn Gloria Gordon Grace Greg Gregory Gretchen Hannah Harold Harriet Harry Harvey Heather
Hector Helen Henry Herbert Howard Hugh Ian Irene Isaac Isabel Isabella Jacob Jacqueline Jaime
James Jamie Jane Janet Janice Jared Jason Javier Jean Jeanne Jeff Jeffrey Jennifer Jenny Jeremy Jerome
Jerry Jesse Jessica Jesus Joan Joanne Joel John Johnny Jonathan Jorge Jose Joseph Josephine Joshua Joyce
Juan Judith Judy Julia Julian Julie Justin Karen Karl Katherine Kathleen Kathryn Kathy Katie
Keith Kelly Kenneth Kevin Kimberly Kristen Kristin Kurt Kyle Larry Laura Lauren Laurence Lawrence Leah
Leonard Leslie Linda Lindsay Lisa Lloyd Lois Lori Lorraine Louis Louise Lucas Lucy Luis Luke Lynn
Malcolm Manuel Marcia Marcus Margaret Maria Marian Marie Marilyn Mario Marion Marjorie Martha Martin
Marvin Mary Matthew Maureen Megan Melanie Melissa Melvin Michael Michelle Miguel Mildred Miriam
Mitchell Monica Nancy Natalie Nathan Nathaniel Neil Nicholas Nicole Noah Norma Olivia Oscar
Pamela Patricia Patrick Paul Paula Pedro Peggy Peter Philip Phillip Phyllis Priscilla Rachel Ralph
Ramon Randall Randy Raymond Rebecca Regina Reginald Renee Ricardo Richard Rita Robert Roberta Roberto
Rodney Roger Roland Ronald Rosa Rosemary Ruth Ryan Samantha Samuel Sandra Sara Sarah Scott Sean
Sergio Seth Sharon Shawn Sheila Shirley Sidney Simon Sonia Sophia Stacy Stanley Stephanie Stephen
Steven Stuart Susan Suzanne Sylvia Tamara Tammy Teresa Theodore Theresa Thomas Timothy Tina Todd Tony
Tracy Travis Tyler Valerie Vanessa Vernon Veronica Vicki Victor Victoria Vince Vincent Vivian Walter
Wanda Wayne Wendy Wesley William Willie Yolanda Yvonne Zachary
`

export const GIVEN_NAMES: ReadonlySet<string> = new Set(NAMES.split(/\s+/).filter((name) => name.length > 0).map((name) => name.toLowerCase()))

export const isGivenName = (word: string): boolean => GIVEN_NAMES.has(word.toLowerCase())
